package dnsbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// baseline is the server the ratios are taken against.
const baseline = "nsd"

// Report is one run: what was measured, where and how.
type Report struct {
	Date      time.Time    `json:"date"`
	Command   string       `json:"command"`
	Query     string       `json:"query"`
	DurationS float64      `json:"duration_s"` // per mode and server
	WarmupS   float64      `json:"warmup_s"`
	ServerCPU string       `json:"server_cpu"`
	ClientCPU string       `json:"dnsperf_cpu"`
	Machine   Machine      `json:"machine"`
	Servers   []ServerInfo `json:"servers"`
	Modes     []ModeInfo   `json:"modes"`
	Results   []Result     `json:"results"`
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

// Result is one server under one mode.
type Result struct {
	Mode   string `json:"mode"`
	Server string `json:"server"`
	Stats
	// Ratios against NSD in the same mode (0 when NSD was not measured):
	// above 1 is better for qps, below 1 is better for p99.
	QPSvsNSD     float64 `json:"qps_vs_nsd"`
	PerCorevsNSD float64 `json:"qps_per_server_core_vs_nsd"`
	P99vsNSD     float64 `json:"p99_vs_nsd"`
}

// computeRatios fills in every result's ratios against NSD.
func (r *Report) computeRatios() {
	base := map[string]Stats{}
	for _, res := range r.Results {
		if res.Server == baseline {
			base[res.Mode] = res.Stats
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		b, ok := base[res.Mode]
		if !ok {
			continue
		}
		res.QPSvsNSD = ratio(res.QPS, b.QPS)
		res.PerCorevsNSD = ratio(res.QPSPerCore, b.QPSPerCore)
		res.P99vsNSD = ratio(res.P99Ms, b.P99Ms)
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// WriteTable writes the results as a markdown table.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| mode | server | qps | ×NSD | server CPU % | qps/core | ×NSD | p50 ms | p99 ms | ×NSD | lost | resp B | dnsperf CPU % | other CPU % |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, res := range r.Results {
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %.0f | %.0f | %s | %.3f | %.3f | %s | %d | %.0f | %.0f | %.0f |\n",
			res.Mode, res.Server, res.QPS, fmtRatio(res.QPSvsNSD), res.ServerCPU,
			res.QPSPerCore, fmtRatio(res.PerCorevsNSD), res.P50Ms, res.P99Ms, fmtRatio(res.P99vsNSD),
			res.Lost, res.RespBytes, res.DNSPerfCPU, res.OtherCPU)
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
	fmt.Fprintf(&b, "- servers pinned to CPU %s, dnsperf (%s) to CPU %s; %gs per mode and server after a %gs warm-up\n",
		r.ServerCPU, m.DNSPerf, r.ClientCPU, r.DurationS, r.WarmupS)
	fmt.Fprintf(&b, "- query: `%s`; latency percentiles from dnsperf -v per-query latencies\n", r.Query)
	b.WriteString("- server CPU % = CPU time of all the server's processes and threads ÷ run time; qps/core = qps ÷ (server CPU % / 100), " +
		"the throughput per core-second the server spent, comparable when dnsperf (one core) rather than the server was the bottleneck; " +
		"other CPU % = busy time of the pinned cores not spent by the server or dnsperf (other programs, interrupts): high values mean a disturbed run\n")
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
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".dnsbench-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
