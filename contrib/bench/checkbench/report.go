package checkbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Report is one run: what was measured, where and how.
type Report struct {
	Date        time.Time     `json:"date"`
	Command     string        `json:"command"`
	Rounds      int           `json:"rounds"`
	MaxProbes   int           `json:"mirmon_max_probes"`
	Concurrency int           `json:"checker_concurrency"`
	PerHost     int           `json:"checker_per_host"`
	TimeoutS    float64       `json:"probe_timeout_s"`
	Machine     Machine       `json:"machine"`
	Runs        []ToolRun     `json:"runs"`    // every round of every tool
	Summary     []Summary     `json:"summary"` // per fleet size, medians over the rounds
	Memory      *MemoryResult `json:"memory,omitempty"`
}

// Summary is one fleet size: each tool's median wall and CPU time over
// the rounds, and mirmon's over the checker's.
type Summary struct {
	Mirrors        int     `json:"mirrors"`
	Rounds         int     `json:"rounds"`
	MirmonWallS    float64 `json:"mirmon_wall_s"`
	MirmonCPUS     float64 `json:"mirmon_cpu_s"`
	MirmonOK       int     `json:"mirmon_ok"`
	CheckerWallS   float64 `json:"checker_wall_s"`
	CheckerCPUS    float64 `json:"checker_cpu_s"`
	CheckerOK      int     `json:"checker_ok"`
	CheckerBehind  int     `json:"checker_behind"`
	WallRatio      float64 `json:"mirmon_over_checker_wall"` // 0 without mirmon
	CPURatio       float64 `json:"mirmon_over_checker_cpu"`
	CheckerPerSecS float64 `json:"checker_mirrors_per_s"`
}

// MemoryResult is the checker holding a large fleet on its schedule.
type MemoryResult struct {
	ChildResult
	Trees     int     `json:"trees"`
	Listeners int     `json:"listeners"`
	IntervalS float64 `json:"interval_s"`
}

func (r *Report) summarise() {
	r.Summary = nil
	var sizes []int
	for _, t := range r.Runs {
		if !slices.Contains(sizes, t.Mirrors) {
			sizes = append(sizes, t.Mirrors)
		}
	}
	for _, n := range sizes {
		var mw, mc, cw, cc []float64
		s := Summary{Mirrors: n}
		for _, t := range r.Runs {
			switch {
			case t.Mirrors != n:
			case t.Tool == "mirmon":
				mw, mc, s.MirmonOK = append(mw, t.WallS), append(mc, t.CPUS()), t.OK
			default:
				cw, cc, s.CheckerOK, s.CheckerBehind = append(cw, t.WallS), append(cc, t.CPUS()), t.OK, t.Behind
			}
		}
		s.Rounds = len(cw)
		s.MirmonWallS, s.MirmonCPUS = median(mw), median(mc)
		s.CheckerWallS, s.CheckerCPUS = median(cw), median(cc)
		s.WallRatio, s.CPURatio = ratio(s.MirmonWallS, s.CheckerWallS), ratio(s.MirmonCPUS, s.CheckerCPUS)
		s.CheckerPerSecS = ratio(float64(n), s.CheckerWallS)
		r.Summary = append(r.Summary, s)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ratio(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// WriteTable writes the comparison and the memory measure as markdown.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| mirrors | mirmon wall s | checker wall s | ×wall | mirmon CPU s | checker CPU s | ×CPU | mirmon ok | checker ok (behind) | checker mirrors/s |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Summary {
		fmt.Fprintf(&b, "| %d | %s | %.2f | %s | %s | %.2f | %s | %s | %d (%d) | %.0f |\n", s.Mirrors,
			orDash(s.MirmonWallS, "%.1f"), s.CheckerWallS, orDash(s.WallRatio, "%.0f"),
			orDash(s.MirmonCPUS, "%.1f"), s.CheckerCPUS, orDash(s.CPURatio, "%.0f"),
			orDash(float64(s.MirmonOK), "%.0f"), s.CheckerOK, s.CheckerBehind, s.CheckerPerSecS)
	}
	if m := r.Memory; m != nil {
		b.WriteString("\n| mirrors × trees | probes made | interval | first full round s | planned probes/min | achieved probes/min | heap in use MiB | live heap MiB | RSS MiB | peak RSS MiB | CPU s |\n")
		b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		fmt.Fprintf(&b, "| %d × %d | %d | %s | %.1f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
			m.Mirrors, m.Trees, m.Probes, time.Duration(m.IntervalS*float64(time.Second)), m.WallS,
			m.PlannedPerMin, m.AchievedPerMin, m.HeapInuseMiB, m.HeapLiveMiB, m.RSSMiB, m.PeakRSSMiB, m.UserS+m.SysS)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// WriteSetup writes how the figures were taken, as a markdown list.
func (r *Report) WriteSetup(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d × %s, Linux %s, %s; load average %s at start, %s at end\n",
		m.CPUs, m.CPUModel, m.Kernel, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- %s with `probe %s`, `max_probes %d`, `timeout %g`, run as `mirmon -q -c CONF -get all` (%s); wall time of the whole process, CPU of mirmon and its wgets (wait4)\n",
		m.Mirmon, mirmonProbe, r.MaxProbes, r.TimeoutS, m.Wget)
	fmt.Fprintf(&b, "- checker: server/checker in a child process, Concurrency %d, PerHost %d, probe timeout %gs, every mirror asked for at once (Recheck); wall and CPU (getrusage) from Run's start to the last mirror's first result\n",
		r.Concurrency, r.PerHost, r.TimeoutS)
	fmt.Fprintf(&b, "- fleet: one HTTP listener per mirror on 127.1.x.y, named m<i>.%s in /etc/hosts for the run, every %dth mirror %s behind; %d round(s), figures are medians\n",
		hostDomain, behindEvery, behindBy, r.Rounds)
	if r.Memory != nil {
		fmt.Fprintf(&b, "- memory: %d mirrors × %d trees over HTTP on %d listeners (127.2.0.x), the checker on its own schedule (spread over the interval), measured in the child after its first full round: Go heap in use, live heap after a GC, VmRSS and VmHWM; probes per minute from its own gauges\n",
			r.Memory.Mirrors, r.Memory.Trees, r.Memory.Listeners)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report to path, creating its directory.
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
