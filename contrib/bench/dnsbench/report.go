package dnsbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// baseline is the server the ratios are taken against.
const baseline = "nsd"

// Report is one run: what was measured, where and how.
type Report struct {
	Date      time.Time `json:"date"`
	Command   string    `json:"command"`
	Query     string    `json:"query"`
	DurationS float64   `json:"duration_s"` // per mode, server and round
	WarmupS   float64   `json:"warmup_s"`
	Rounds    int       `json:"rounds"`
	// LatencyRate is the fixed load of the latency runs, in qps.
	LatencyRate int          `json:"latency_run_rate_qps"`
	ServerCPU   string       `json:"server_cpu"`
	ClientCPU   string       `json:"dnsperf_cpu"`
	Machine     Machine      `json:"machine"`
	Servers     []ServerInfo `json:"servers"`
	Modes       []ModeInfo   `json:"modes"`
	Results     []Result     `json:"results"` // every measurement
	Summary     []Summary    `json:"summary"` // per mode and server, over the rounds
}

// ServerInfo is how one server ran.
type ServerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Notes   string `json:"notes"`
}

// ModeInfo is one load, with the dnsperf arguments it adds.
type ModeInfo struct {
	Name    string `json:"name"`
	Desc    string `json:"description"`
	DNSPerf string `json:"dnsperf_args"`
}

// Result is one server under one mode in one round.
type Result struct {
	Mode   string `json:"mode"`
	Server string `json:"server"`
	Round  int    `json:"round"` // from 1
	Stats
	// Ratios against NSD in the same mode and round (0 when NSD was not
	// measured): above 1 is better for qps, below 1 is better for p99.
	QPSvsNSD     float64 `json:"qps_vs_nsd"`
	PerCorevsNSD float64 `json:"qps_per_server_core_vs_nsd"`
	P99vsNSD     float64 `json:"p99_vs_nsd"`
}

// Summary is one server under one mode over all rounds: medians, with
// the qps range. Ratios are the medians of the ratios within each round.
type Summary struct {
	Mode       string  `json:"mode"`
	Server     string  `json:"server"`
	Rounds     int     `json:"rounds"`
	QPS        float64 `json:"qps"`
	QPSMin     float64 `json:"qps_min"`
	QPSMax     float64 `json:"qps_max"`
	P50Ms      float64 `json:"latency_p50_ms"`
	P99Ms      float64 `json:"latency_p99_ms"`
	Lost       int64   `json:"queries_lost"` // over all rounds, both runs
	RespBytes  float64 `json:"response_bytes_avg"`
	ServerCPU  float64 `json:"server_cpu_pct"`
	QPSPerCore float64 `json:"qps_per_server_core"`
	DNSPerfCPU float64 `json:"dnsperf_cpu_pct"`
	OtherCPU   float64 `json:"other_cpu_pct"`
	StealCPU   float64 `json:"steal_cpu_pct"`

	QPSvsNSD    float64 `json:"qps_vs_nsd"`
	QPSvsNSDMin float64 `json:"qps_vs_nsd_min"`
	QPSvsNSDMax float64 `json:"qps_vs_nsd_max"`
	// RoundsAtLeastNSD counts the rounds with qps ≥ NSD's.
	RoundsAtLeastNSD int     `json:"rounds_qps_at_least_nsd"`
	PerCorevsNSD     float64 `json:"qps_per_server_core_vs_nsd"`
	P99vsNSD         float64 `json:"p99_vs_nsd"`
}

// summarise fills in every result's ratios against NSD in its round, then
// the summary of each mode and server, in the order first measured.
func (r *Report) summarise() {
	type key struct {
		mode  string
		round int
	}
	base := map[key]Stats{}
	for _, res := range r.Results {
		if res.Server == baseline {
			base[key{res.Mode, res.Round}] = res.Stats
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		b, ok := base[key{res.Mode, res.Round}]
		if !ok {
			continue
		}
		res.QPSvsNSD = ratio(res.QPS, b.QPS)
		res.PerCorevsNSD = ratio(res.QPSPerCore, b.QPSPerCore)
		res.P99vsNSD = ratio(res.P99Ms, b.P99Ms)
	}
	r.Summary = nil
	type group struct{ mode, server string }
	var order []group
	byGroup := map[group][]Result{}
	for _, res := range r.Results {
		g := group{res.Mode, res.Server}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], res)
	}
	for _, g := range order {
		rs := byGroup[g]
		med := func(f func(Result) float64) float64 {
			v := make([]float64, len(rs))
			for i, res := range rs {
				v[i] = f(res)
			}
			return median(v)
		}
		qps := make([]float64, len(rs))
		var ratios []float64
		s := Summary{Mode: g.mode, Server: g.server, Rounds: len(rs)}
		for i, res := range rs {
			qps[i] = res.QPS
			s.Lost += res.Lost + res.LatencyLost
			if res.QPSvsNSD != 0 {
				ratios = append(ratios, res.QPSvsNSD)
				if res.QPSvsNSD >= 1 {
					s.RoundsAtLeastNSD++
				}
			}
		}
		s.QPS, s.QPSMin, s.QPSMax = median(qps), slices.Min(qps), slices.Max(qps)
		s.P50Ms = med(func(r Result) float64 { return r.P50Ms })
		s.P99Ms = med(func(r Result) float64 { return r.P99Ms })
		s.RespBytes = med(func(r Result) float64 { return r.RespBytes })
		s.ServerCPU = med(func(r Result) float64 { return r.ServerCPU })
		s.QPSPerCore = med(func(r Result) float64 { return r.QPSPerCore })
		s.DNSPerfCPU = med(func(r Result) float64 { return r.DNSPerfCPU })
		s.OtherCPU = med(func(r Result) float64 { return r.OtherCPU })
		s.StealCPU = med(func(r Result) float64 { return r.StealCPU })
		if len(ratios) > 0 {
			s.QPSvsNSD, s.QPSvsNSDMin, s.QPSvsNSDMax = median(ratios), slices.Min(ratios), slices.Max(ratios)
			s.PerCorevsNSD = med(func(r Result) float64 { return r.PerCorevsNSD })
			s.P99vsNSD = med(func(r Result) float64 { return r.P99vsNSD })
		}
		r.Summary = append(r.Summary, s)
	}
}

// median of v (the mean of the middle two for an even count); 0 if empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Sorted(slices.Values(v))
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// WriteTable writes the summary as a markdown table.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| mode | server | qps | qps range | ×NSD | ×NSD range | rounds ≥ NSD | server CPU % | qps/core | ×NSD | p50 ms | p99 ms | ×NSD | lost | resp B | dnsperf CPU % | other CPU % | steal % |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Summary {
		rng, at := "–", "–"
		if s.QPSvsNSD != 0 {
			rng = fmtRatio(s.QPSvsNSDMin) + "–" + fmtRatio(s.QPSvsNSDMax)
			at = fmt.Sprintf("%d/%d", s.RoundsAtLeastNSD, s.Rounds)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f–%.0f | %s | %s | %s | %.0f | %.0f | %s | %.3f | %.3f | %s | %d | %.0f | %.0f | %.0f | %.0f |\n",
			s.Mode, s.Server, s.QPS, s.QPSMin, s.QPSMax, fmtRatio(s.QPSvsNSD), rng, at, s.ServerCPU,
			s.QPSPerCore, fmtRatio(s.PerCorevsNSD), s.P50Ms, s.P99Ms, fmtRatio(s.P99vsNSD),
			s.Lost, s.RespBytes, s.DNSPerfCPU, s.OtherCPU, s.StealCPU)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtRatio(x float64) string {
	if x == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

// WriteSetup writes, as markdown, the machine, the versions and how the
// servers and dnsperf ran.
func (r *Report) WriteSetup(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d × %s, Linux %s; load average %s at start, %s at end\n",
		m.CPUs, m.CPUModel, m.Kernel, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- servers pinned to CPU %s, dnsperf (%s) to CPU %s; %d rounds; in each, per mode and server, a %[6]gs warm-up, %[5]gs throughput and %[5]gs latency run, servers in rotated order\n",
		r.ServerCPU, m.DNSPerf, r.ClientCPU, r.Rounds, r.DurationS, r.WarmupS)
	b.WriteString("- figures are medians over the rounds; ×NSD is the median of the ratios within each round (both servers measured seconds apart), " +
		"its range the lowest and highest round; rounds ≥ NSD counts the rounds where the server's qps was at least NSD's\n")
	fmt.Fprintf(&b, "- query: `%s`; qps and CPU from a run as fast as the server answers, without per-query output; "+
		"latency percentiles from a second run at a fixed %d qps (dnsperf -Q, the same load for every server) with dnsperf -v per-query latencies\n", r.Query, r.LatencyRate)
	b.WriteString("- server CPU % = CPU time of all the server's processes and threads ÷ run time; qps/core = qps ÷ (server CPU % / 100), " +
		"the throughput per core-second the server spent, comparable when dnsperf (one core) rather than the server was the bottleneck; " +
		"other CPU % = busy time of the pinned cores not spent by the server or dnsperf (other programs, interrupts, steal): high values mean a disturbed run; " +
		"steal % = time the hypervisor kept the pinned cores from running\n")
	for _, s := range r.Servers {
		fmt.Fprintf(&b, "- %s: %s; %s\n", s.Name, s.Version, s.Notes)
	}
	for _, md := range r.Modes {
		fmt.Fprintf(&b, "- %s: %s (dnsperf %s)\n", md.Name, md.Desc, md.DNSPerf)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report to path atomically (temp file, rename),
// creating the directory.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}
