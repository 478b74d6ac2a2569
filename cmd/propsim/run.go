package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/cmd/propsim/report"
	"github.com/mirrorsignal/mirrorsignal/cmd/propsim/sim"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// Fault rates of the "with faults" scenarios.
const (
	faultDown    = 0.01
	faultDNSFail = 0.05
	faultFrozen  = 0.05
)

// refusalModel says, in the report, how caps are modelled.
const refusalModel = "an upstream over its cap refuses the session at once (rsync's max connections), nothing queues; " +
	"the agent tries its next source (advised ones, then its configured upstream), else waits for its next poll; " +
	"a refused cron run waits for the next run, a refused push trigger for the child's next poll, a refused tier-1 host retries after 1m"

// options are the parsed flags.
type options struct {
	sizes     []int
	cfg       sim.Config // the base network; Mirrors is set per size
	interval  time.Duration
	jitter    time.Duration
	median    time.Duration
	sigma     float64
	faults    bool
	tier1Per  int
	calibrate string
	out       string
	explicit  map[string]bool // flags given on the command line
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rep := &report.Report{Generated: now().UTC(), Command: "propsim " + strings.Join(args, " ")}
	if o.calibrate != "" {
		info, err := applyCalibration(&o, o.calibrate)
		if err != nil {
			return err
		}
		rep.Calibration = info
	}
	rep.Model = model(o)
	for _, sc := range scenarios(o) {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := sc.Run()
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, report.FromOutcome(out))
	}
	if o.out != "" {
		if err := writeAll(o.out, rep); err != nil {
			return err
		}
	}
	var md strings.Builder
	rep.WriteMarkdown(&md)
	if o.out != "" {
		fmt.Fprintf(&md, "\nwritten to %s\n", o.out)
	}
	_, err = io.WriteString(stdout, md.String())
	return err
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("propsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{cfg: sim.DefaultConfig(1)}
	c := &o.cfg
	sizes := fs.String("mirrors", "600,10000", "network sizes to simulate, comma-separated")
	fs.IntVar(&c.Tier1, "tier1", c.Tier1, "tier-1 hosts (fed by the master; the publish gate waits for a quorum of them)")
	fs.IntVar(&c.Quorum, "quorum", 0, "tier-1 hosts the gate waits for (0: a majority)")
	fs.Float64Var(&c.Tier2Share, "tier2-share", c.Tier2Share, "share of the other mirrors that sync from tier 1 (the rest are tier 3)")
	fs.Float64Var(&c.Tier3FromTier1, "tier3-from-tier1", c.Tier3FromTier1, "share of tier-3 mirrors whose upstream is a tier-1 host")
	fs.IntVar(&c.Regions, "regions", c.Regions, "proximity groups for advice")
	fs.IntVar(&c.UpstreamCap, "cap", c.UpstreamCap, "rsync sessions at once per upstream mirror (0: no cap)")
	fs.IntVar(&c.MasterCap, "master-cap", c.MasterCap, "rsync sessions at once on the master (0: no cap)")
	fs.IntVar(&c.AdviceFanOut, "fanout", c.AdviceFanOut, "advice: distinct mirrors one source is handed to per window")
	fs.DurationVar(&c.AdviceWindow, "fanout-window", c.AdviceWindow, "advice: the fan-out cap's window")
	fs.Float64Var(&c.SourceShare, "source-share", c.SourceShare, "share of tier-2/3 mirrors opted in as advice sources")
	fs.DurationVar(&c.CheckerLag, "checker-lag", c.CheckerLag, "a fresh source enters advice uniformly within this")
	fs.Float64Var(&c.NoopShare, "noop-share", c.NoopShare, "a sync from a stale upstream takes this share of an rsync duration")
	fs.Float64Var(&c.DownShare, "down", 0, "share of mirrors down for the whole run")
	fs.Float64Var(&c.DNSFail, "dns-fail", 0, "probability that a poll gets no DNS answer")
	fs.Float64Var(&c.Frozen, "frozen", 0, "probability that a poll sees the old signal (frozen secondary)")
	fs.DurationVar(&c.Horizon, "horizon", c.Horizon, "simulated time after the publish")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed: the same seed gives the same report")
	fs.DurationVar(&o.median, "rsync-median", sim.DefaultRsyncMedian, "median rsync duration (log-normal)")
	fs.Float64Var(&o.sigma, "rsync-sigma", sim.DefaultRsyncSigma, "σ of the log of rsync durations")
	fs.DurationVar(&o.interval, "interval", sim.DefaultPollInterval, "agent cron interval (signal polling)")
	fs.DurationVar(&o.jitter, "jitter", sim.DefaultPollJitter, "agent jitter: uniform sleep before each poll")
	fs.BoolVar(&o.faults, "faults", true, fmt.Sprintf("also run each size with %.0f %% mirrors down, %.0f %% DNS failures and %.0f %% frozen answers",
		faultDown*100, faultDNSFail*100, faultFrozen*100))
	fs.IntVar(&o.tier1Per, "tier1-per", 100, "also run each size with one tier-1 host per this many mirrors, when that is more than -tier1 (0: no)")
	fs.StringVar(&o.calibrate, "calibrate", "", "JSON of measured figures to fit the rsync durations (and poll interval, jitter) to")
	fs.StringVar(&o.out, "out", "var/propsim", "directory for propsim.md, propsim.json and the SVG plots (empty: stdout only)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.explicit = set
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return o, usageError{fmt.Errorf("-mirrors: %w", err)}
	}
	if !(o.sigma >= 0 && o.sigma <= 5) || o.median < time.Second {
		return o, usageError{fmt.Errorf("-rsync-median %s, -rsync-sigma %v: want a median of at least 1s and σ from 0 to 5", o.median, o.sigma)}
	}
	if o.tier1Per < 0 {
		return o, usageError{fmt.Errorf("-tier1-per %d: want 0 or more", o.tier1Per)}
	}
	o.cfg.Rsync = sim.LogNormalMedian(o.median, o.sigma)
	return o, o.validate()
}

// validate checks the network and strategies at every size.
func (o options) validate() error {
	for _, sc := range scenarios(o) {
		if err := sc.Config.Validate(); err != nil {
			return usageError{fmt.Errorf("%s: %w", sc.Name, err)}
		}
		for _, st := range sc.Strategies {
			if err := st.Validate(); err != nil {
				return usageError{err}
			}
		}
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive mirror counts, comma-separated", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// applyCalibration fits the rsync durations to the file and takes its
// poll interval and jitter unless the flags set them.
func applyCalibration(o *options, path string) (*report.CalibInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sim.MaxCalibrationBytes+1))
	if err != nil {
		return nil, err
	}
	c, err := sim.ParseCalibration(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	fit, err := c.Rsync()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !o.explicit["rsync-median"] && !o.explicit["rsync-sigma"] {
		o.cfg.Rsync = fit
	}
	if d, ok := c.PollInterval(); ok && !o.explicit["interval"] {
		o.interval = d
	}
	if d, ok := c.Jitter(); ok && !o.explicit["jitter"] {
		o.jitter = d
	}
	info := &report.CalibInfo{File: path, RsyncSamples: len(c.RsyncSeconds), FreshAfterCount: len(c.FreshAfterSeconds)}
	if len(c.FreshAfterSeconds) > 0 {
		p50, p95 := sim.Percentile(c.FreshAfterSeconds, 0.5), sim.Percentile(c.FreshAfterSeconds, 0.95)
		info.FreshAfterP50, info.FreshAfterP95 = &p50, &p95
	}
	return info, o.validate()
}

func model(o options) report.Model {
	m := report.Model{Rsync: o.cfg.Rsync.String(), PollInterval: o.interval.Seconds(), Jitter: o.jitter.Seconds(),
		Seed: o.cfg.Seed, Refusal: refusalModel}
	if ln, ok := o.cfg.Rsync.(sim.LogNormal); ok {
		m.RsyncMu, m.RsyncSigma = ln.Mu, ln.Sigma
	}
	return m
}

// scenarios are, per size: the base network; with faults; with more
// tier-1 hosts.
func scenarios(o options) []sim.Scenario {
	strategies := sim.Strategies(o.interval, o.jitter)
	var out []sim.Scenario
	for _, n := range o.sizes {
		c := o.cfg
		c.Mirrors = n
		out = append(out, sim.Scenario{Name: fmt.Sprintf("%s mirrors", thousands(n)), Config: c, Strategies: strategies})
		if o.faults {
			f := c
			f.DownShare, f.DNSFail, f.Frozen = faultDown, faultDNSFail, faultFrozen
			out = append(out, sim.Scenario{Name: fmt.Sprintf("%s mirrors with faults", thousands(n)), Config: f, Strategies: strategies})
		}
		if o.tier1Per > 0 && n/o.tier1Per > c.Tier1 {
			m := c
			m.Tier1 = n / o.tier1Per
			out = append(out, sim.Scenario{Name: fmt.Sprintf("%s mirrors, %d tier-1 hosts", thousands(n), m.Tier1), Config: m, Strategies: strategies})
		}
	}
	return out
}

// thousands writes n with thin spaces between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(" ")
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeAll writes propsim.md, propsim.json and one SVG per scenario into
// dir, each atomically.
func writeAll(dir string, rep *report.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range rep.Scenarios {
		s := &rep.Scenarios[i]
		s.Plot = fmt.Sprintf("propsim-%d.svg", i+1)
		var b strings.Builder
		if err := s.WriteSVG(&b); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, s.Plot), []byte(b.String())); err != nil {
			return err
		}
	}
	var md strings.Builder
	rep.WriteMarkdown(&md)
	if err := writeFile(filepath.Join(dir, "propsim.md"), []byte(md.String())); err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "propsim.json"), js)
}

// writeFile writes data to path through a temp file in the same
// directory, synced, then renamed.
func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o644)
}
