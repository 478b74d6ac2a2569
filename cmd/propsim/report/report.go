// Package report renders propsim's outcomes: a markdown table and a JSON
// document per run, and an SVG plot of % fresh against time per scenario.
// It reads sim's results and never runs the simulator.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/cmd/propsim/sim"
)

// Goal of DESIGN §5 for the propagation after a publish.
const (
	GoalShare1 = 0.80
	GoalTime1  = 15 * time.Minute
	GoalShare2 = 0.99
	GoalTime2  = 60 * time.Minute
)

// Report is one propsim run, as written to JSON.
type Report struct {
	Generated   time.Time  `json:"generated"`
	Command     string     `json:"command"`
	Model       Model      `json:"model"`
	Calibration *CalibInfo `json:"calibration,omitempty"`
	Scenarios   []Scenario `json:"scenarios"`
}

// Model is what every scenario shares.
type Model struct {
	Rsync        string  `json:"rsync"`
	RsyncMu      float64 `json:"rsync_log_mu"`
	RsyncSigma   float64 `json:"rsync_log_sigma"`
	PollInterval float64 `json:"poll_interval_s"`
	Jitter       float64 `json:"jitter_s"`
	Seed         uint64  `json:"seed"`
	Refusal      string  `json:"refusal_model"`
}

// CalibInfo says what a calibration file gave.
type CalibInfo struct {
	File            string   `json:"file"`
	RsyncSamples    int      `json:"rsync_samples"`
	FreshAfterP50   *float64 `json:"fresh_after_p50_s,omitempty"`
	FreshAfterP95   *float64 `json:"fresh_after_p95_s,omitempty"`
	FreshAfterCount int      `json:"fresh_after_samples"`
}

// Scenario is one network and its strategies.
type Scenario struct {
	Name         string     `json:"name"`
	Mirrors      int        `json:"mirrors"`
	Tiers        [3]int     `json:"tiers"`
	MaxChildren  int        `json:"max_children_per_upstream"`
	Down         int        `json:"down"`
	MasterCap    int        `json:"master_cap"`
	UpstreamCap  int        `json:"upstream_cap"`
	AdviceFanOut int        `json:"advice_fan_out"`
	DNSFail      float64    `json:"dns_fail"`
	Frozen       float64    `json:"frozen"`
	Strategies   []Strategy `json:"strategies"`
	Plot         string     `json:"plot,omitempty"` // SVG file name
	results      []sim.Result
}

// Strategy is one strategy's figures.
type Strategy struct {
	Name string `json:"name"`
	// TimeTo maps "50", "80", "95", "99" to seconds; null when not reached.
	TimeTo      map[string]*float64 `json:"time_to_s"`
	FreshAtEnd  float64             `json:"fresh_at_end"`
	EndS        float64             `json:"end_s"`
	GateS       *float64            `json:"gate_s"`
	PeakMaster  int                 `json:"peak_master_sessions"`
	PeakTier1   int                 `json:"peak_tier1_sessions"`
	PeakOther   int                 `json:"peak_tier23_sessions"`
	UnderCap    bool                `json:"under_cap"`
	Sessions    int                 `json:"rsync_sessions"`
	StaleSyncs  int                 `json:"stale_syncs"`
	Refused     int                 `json:"refused"`
	Unreachable int                 `json:"unreachable"`
	Polls       int                 `json:"polls"`
	Advice      int                 `json:"advice_asked"`
	Triggers    int                 `json:"push_triggers"`
	GoalMet     bool                `json:"goal_met"`
}

// FromOutcome summarises a simulated scenario.
func FromOutcome(o sim.Outcome) Scenario {
	s := Scenario{Name: o.Name, Mirrors: o.Config.Mirrors, Tiers: o.Tiers, MaxChildren: o.MaxChildren,
		Down: o.Down, MasterCap: o.Config.MasterCap, UpstreamCap: o.Config.UpstreamCap,
		AdviceFanOut: o.Config.AdviceFanOut, DNSFail: o.Config.DNSFail, Frozen: o.Config.Frozen, results: o.Results}
	for _, r := range o.Results {
		s.Strategies = append(s.Strategies, fromResult(r, o.Config))
	}
	return s
}

func fromResult(r sim.Result, c sim.Config) Strategy {
	st := Strategy{Name: r.Strategy, TimeTo: map[string]*float64{}, FreshAtEnd: r.ShareAt(r.End),
		EndS: r.End.Seconds(), PeakMaster: r.PeakMaster, PeakTier1: r.PeakTier1, PeakOther: r.PeakOther,
		Sessions: r.Sessions, StaleSyncs: r.StaleSyncs, Refused: r.Refused, Unreachable: r.Unreachable,
		Polls: r.Polls, Advice: r.Advice, Triggers: r.Triggers}
	for _, q := range sim.Marks {
		if d, ok := r.TimeTo(q); ok {
			st.TimeTo[markKey(q)] = ptr(d.Seconds())
		} else {
			st.TimeTo[markKey(q)] = nil
		}
	}
	if r.GateAt >= 0 {
		st.GateS = ptr(r.GateAt.Seconds())
	}
	st.UnderCap = (c.MasterCap == 0 || r.PeakMaster <= c.MasterCap) &&
		(c.UpstreamCap == 0 || max(r.PeakTier1, r.PeakOther) <= c.UpstreamCap)
	t1, ok1 := r.TimeTo(GoalShare1)
	t2, ok2 := r.TimeTo(GoalShare2)
	st.GoalMet = ok1 && ok2 && t1 <= GoalTime1 && t2 <= GoalTime2 && st.UnderCap
	return st
}

func markKey(q float64) string { return fmt.Sprintf("%.0f", q*100) }

func ptr(f float64) *float64 { return &f }

// WriteMarkdown writes the report as markdown: the model, then one table
// per scenario with a link to its plot.
func (r *Report) WriteMarkdown(b *strings.Builder) {
	m := r.Model
	fmt.Fprintf(b, "# Propagation after one publish (propsim)\n\n")
	fmt.Fprintf(b, "- command: `%s`\n", mdCode(r.Command))
	fmt.Fprintf(b, "- rsync duration: %s (μ %.3f, σ %.3f of ln seconds)\n", m.Rsync, m.RsyncMu, m.RsyncSigma)
	fmt.Fprintf(b, "- signal polling: cron every %s, then a uniform jitter in [0, %s]; seed %d\n",
		secs(m.PollInterval), secs(m.Jitter), m.Seed)
	fmt.Fprintf(b, "- caps: %s\n", m.Refusal)
	if c := r.Calibration; c != nil {
		fmt.Fprintf(b, "- calibrated from %s: %d rsync durations", mdCode(c.File), c.RsyncSamples)
		if c.FreshAfterP50 != nil {
			fmt.Fprintf(b, "; measured publish-to-fresh per mirror p50 %.1f s, p95 %.1f s (%d mirrors)", *c.FreshAfterP50, *c.FreshAfterP95, c.FreshAfterCount)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "- goal: %.0f %% fresh within %s and %.0f %% within %s, every upstream under its cap\n",
		GoalShare1*100, short(GoalTime1), GoalShare2*100, short(GoalTime2))
	for _, s := range r.Scenarios {
		s.writeMarkdown(b)
	}
}

func (s Scenario) writeMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## %s\n\n", mdText(s.Name))
	fmt.Fprintf(b, "%d mirrors: %d tier-1, %d tier-2, %d tier-3; at most %d configured under one upstream; %d down; "+
		"caps: master %s, each mirror %s; advice fan-out %d; DNS failures %.1f %%, frozen answers %.1f %%.\n\n",
		s.Mirrors, s.Tiers[0], s.Tiers[1], s.Tiers[2], s.MaxChildren, s.Down, capText(s.MasterCap), capText(s.UpstreamCap),
		s.AdviceFanOut, s.DNSFail*100, s.Frozen*100)
	b.WriteString("| strategy | 50 % | 80 % | 95 % | 99 % | fresh at end | gate | peak master | peak tier-1 | peak tier-2/3 | refused | stale syncs | rsync sessions | goal |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, st := range s.Strategies {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %.1f %% | %s | %d | %d | %d | %d | %d | %d | %s |\n",
			mdText(st.Name), dur(st.TimeTo["50"]), dur(st.TimeTo["80"]), dur(st.TimeTo["95"]), dur(st.TimeTo["99"]),
			st.FreshAtEnd*100, dur(st.GateS), st.PeakMaster, st.PeakTier1, st.PeakOther, st.Refused, st.StaleSyncs,
			st.Sessions, yesNo(st.GoalMet))
	}
	if s.Plot != "" {
		fmt.Fprintf(b, "\n![%% fresh against time, %s](%s)\n", mdText(s.Name), s.Plot)
	}
}

func capText(c int) string {
	if c == 0 {
		return "none"
	}
	return fmt.Sprintf("%d sessions", c)
}

func yesNo(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// dur prints seconds as "12m30s", or "—" when nil.
func dur(s *float64) string {
	if s == nil {
		return "—"
	}
	return short(time.Duration(*s * float64(time.Second)).Round(time.Second))
}

func secs(s float64) string { return short(time.Duration(s * float64(time.Second)).Round(time.Second)) }

func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// mdText makes s safe inside a markdown table cell or heading: markup and
// the table's pipe are escaped, control characters dropped.
func mdText(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c < 0x20 || c == 0x7f:
		case strings.ContainsRune(`\|*_[]<>&#`+"`", c):
			b.WriteRune('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a `code span`: no backticks or newlines.
func mdCode(s string) string {
	return strings.Map(func(c rune) rune {
		if c == '`' || c < 0x20 || c == 0x7f {
			return '\''
		}
		return c
	}, s)
}

// isNum reports whether f is usable in the plot.
func isNum(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// JSON is the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
