package sim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Model defaults. The advice figures are those of
// server/agentapi/advice (DefaultFanOut, DefaultWindow, DefaultMaxSources)
// and the checker's fast_interval after a publish.
const (
	DefaultTier1          = 10
	DefaultTier2Share     = 0.7
	DefaultRegions        = 10
	DefaultRsyncMedian    = 2 * time.Minute
	DefaultRsyncSigma     = 0.8
	DefaultNoopShare      = 0.25
	DefaultUpstreamCap    = 30
	DefaultMasterCap      = 50
	DefaultTriggerRetry   = time.Minute
	DefaultSourceShare    = 0.5
	DefaultAdviceFanOut   = 20
	DefaultAdviceWindow   = 10 * time.Minute
	DefaultAdviceSources  = 5
	DefaultCheckerLag     = 30 * time.Second
	DefaultHorizon        = 48 * time.Hour
	DefaultPollInterval   = 5 * time.Minute
	DefaultPollJitter     = 5 * time.Minute
	maxMirrors            = 1_000_000
	maxEventsPerMirror    = 20_000
	minPositiveDuration   = time.Second
	maxConfigurableLength = 30 * 24 * time.Hour
)

// Config is one network and its failure rates. Strategies run on it.
type Config struct {
	Mirrors int // all mirrors, tier-1 hosts included
	Tier1   int // tier-1 hosts, fed by the master
	// Tier2Share of the other mirrors sync from tier 1; the rest are tier 3.
	Tier2Share float64
	// Tier3FromTier1 is the share of tier-3 mirrors whose upstream is a
	// tier-1 host rather than a tier-2 mirror.
	Tier3FromTier1 float64
	// Direct puts every mirror directly under the master (no tiers, no
	// gate): the closed-form test cases.
	Direct  bool
	Regions int // proximity groups for advice ("nearby" = same region)
	// Quorum of tier-1 hosts that must have the content before the signal
	// is bumped; 0: a majority of Tier1.
	Quorum int

	Rsync     Dist    // duration of a sync that brings new content
	NoopShare float64 // a sync from a stale upstream takes this share of a draw

	MasterCap    int           // rsync sessions at once on the master; 0: no cap
	UpstreamCap  int           // on every mirror serving others; 0: no cap
	TriggerRetry time.Duration // a refused tier-1 host retries after this

	// CronSpread gives each mirror its own cron phase, uniform over the
	// period; otherwise every mirror's cron ticks at CronPhase + k·period
	// (all crons at the same minute, "*/5").
	CronSpread bool
	CronPhase  time.Duration

	SourceShare   float64       // share of tier-2 and tier-3 mirrors opted in as advice sources
	AdviceFanOut  int           // distinct mirrors one source is handed to per window
	AdviceWindow  time.Duration // the fan-out cap's sliding window
	AdviceSources int           // sources per advice
	CheckerLag    time.Duration // a fresh mirror enters advice uniformly within this

	DownShare float64 // mirrors that never sync (nor serve) during the run
	DNSFail   float64 // probability a poll gets no answer
	Frozen    float64 // probability a poll sees the old signal (frozen secondary)

	Horizon time.Duration // the run stops here, or once every live mirror is fresh
	Seed    uint64
}

// DefaultConfig is the model used by the report, for n mirrors.
func DefaultConfig(n int) Config {
	return Config{
		Mirrors: n, Tier1: DefaultTier1, Tier2Share: DefaultTier2Share, Regions: DefaultRegions,
		Rsync:     LogNormalMedian(DefaultRsyncMedian, DefaultRsyncSigma),
		NoopShare: DefaultNoopShare, MasterCap: DefaultMasterCap, UpstreamCap: DefaultUpstreamCap,
		TriggerRetry: DefaultTriggerRetry, CronSpread: true,
		SourceShare: DefaultSourceShare, AdviceFanOut: DefaultAdviceFanOut, AdviceWindow: DefaultAdviceWindow,
		AdviceSources: DefaultAdviceSources, CheckerLag: DefaultCheckerLag,
		Horizon: DefaultHorizon, Seed: 1,
	}
}

// Validate says which field is out of range.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if c.Mirrors < 1 || c.Mirrors > maxMirrors {
		bad("mirrors", "%d: want 1 to %d", c.Mirrors, maxMirrors)
	}
	if !c.Direct && (c.Tier1 < 1 || c.Tier1 > c.Mirrors) {
		bad("tier1", "%d: want 1 to the number of mirrors", c.Tier1)
	}
	if !c.Direct && (c.Quorum < 0 || c.Quorum > c.Tier1) {
		bad("quorum", "%d: want 0 (majority) to tier1", c.Quorum)
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"tier2-share", c.Tier2Share}, {"tier3-from-tier1", c.Tier3FromTier1}, {"noop-share", c.NoopShare},
		{"source-share", c.SourceShare}, {"down", c.DownShare}, {"dns-fail", c.DNSFail}, {"frozen", c.Frozen}} {
		if !(s.v >= 0 && s.v <= 1) {
			bad(s.name, "%v: want a share from 0 to 1", s.v)
		}
	}
	if c.DNSFail+c.Frozen >= 1 {
		bad("dns-fail", "dns-fail + frozen = %v: want below 1, or no poll ever sees the signal", c.DNSFail+c.Frozen)
	}
	if c.Regions < 1 {
		bad("regions", "%d: want at least 1", c.Regions)
	}
	if c.Rsync == nil {
		bad("rsync", "no duration distribution")
	}
	if c.MasterCap < 0 || c.UpstreamCap < 0 {
		bad("cap", "negative")
	}
	if c.AdviceFanOut < 1 || c.AdviceSources < 1 {
		bad("advice", "fan-out %d and sources %d: want at least 1", c.AdviceFanOut, c.AdviceSources)
	}
	for _, d := range []struct {
		name     string
		v        time.Duration
		positive bool
	}{{"trigger-retry", c.TriggerRetry, true}, {"advice-window", c.AdviceWindow, true},
		{"checker-lag", c.CheckerLag, false}, {"cron-phase", c.CronPhase, false}, {"horizon", c.Horizon, true}} {
		if d.v < 0 || (d.positive && d.v < minPositiveDuration) || d.v > maxConfigurableLength {
			bad(d.name, "%s: want 0 (or 1s when required) to %s", d.v, maxConfigurableLength)
		}
	}
	return errors.Join(errs...)
}

// quorum is how many tier-1 hosts the gate waits for.
func (c Config) quorum() int {
	if c.Quorum > 0 {
		return c.Quorum
	}
	return c.Tier1/2 + 1
}

// Kind is how a strategy starts syncs.
type Kind int

// Strategy kinds.
const (
	Cron Kind = iota // rsync at fixed times, signal ignored
	Poll             // poll the signal, rsync when it moved
	Push             // Poll, plus a trigger from the upstream once it is fresh
)

// Strategy is one way mirrors decide when to sync.
type Strategy struct {
	Name string
	Kind Kind
	// Cron: each mirror's period is uniform in [CronMin, CronMax].
	CronMin, CronMax time.Duration
	// Poll and Push: cron ticks every Interval, then a uniform sleep in
	// [0, Jitter] before the poll.
	Interval, Jitter time.Duration
	Advice           bool // ask for sync-source advice before syncing
}

// Validate says what is wrong with s.
func (s Strategy) Validate() error {
	switch s.Kind {
	case Cron:
		if s.CronMin < minPositiveDuration || s.CronMax < s.CronMin || s.CronMax > maxConfigurableLength {
			return fmt.Errorf("strategy %q: cron period %s–%s: want 1s ≤ min ≤ max ≤ %s", s.Name, s.CronMin, s.CronMax, maxConfigurableLength)
		}
	case Poll, Push:
		if s.Interval < minPositiveDuration || s.Interval > maxConfigurableLength || s.Jitter < 0 || s.Jitter > maxConfigurableLength {
			return fmt.Errorf("strategy %q: poll every %s + jitter %s: want an interval of 1s to %s and jitter ≥ 0", s.Name, s.Interval, s.Jitter, maxConfigurableLength)
		}
	default:
		return fmt.Errorf("strategy %q: unknown kind %d", s.Name, s.Kind)
	}
	return nil
}

// Strategies are the five compared in the report, polling every interval
// with jitter.
func Strategies(interval, jitter time.Duration) []Strategy {
	return []Strategy{
		{Name: "cron 2–4×/day", Kind: Cron, CronMin: 6 * time.Hour, CronMax: 12 * time.Hour},
		{Name: "cron hourly", Kind: Cron, CronMin: time.Hour, CronMax: time.Hour},
		{Name: fmt.Sprintf("signal poll %s+%s", short(interval), short(jitter)), Kind: Poll, Interval: interval, Jitter: jitter},
		{Name: "signal + advice", Kind: Poll, Interval: interval, Jitter: jitter, Advice: true},
		{Name: "push triggers", Kind: Push, Interval: interval, Jitter: jitter},
	}
}

// short prints a duration without zero units ("5m", "1h30m", "45s").
func short(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// finite reports whether x is a usable number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
