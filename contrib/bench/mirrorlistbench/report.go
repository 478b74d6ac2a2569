package mirrorlistbench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// Report is one run.
type Report struct {
	Date        time.Time `json:"date"`
	Command     string    `json:"command"`
	Query       string    `json:"query"`
	Mirrors     int       `json:"fixture_mirrors"`
	BodyBytes   int       `json:"body_bytes"`
	BodyLines   int       `json:"body_lines"`
	DurationS   float64   `json:"duration_s"`
	WarmupS     float64   `json:"warmup_s"`
	Rounds      int       `json:"rounds"`
	Connections int       `json:"connections"`
	ServerCPU   string    `json:"server_cpu"`
	ClientCPU   string    `json:"wrk_cpu"`
	Machine     Machine   `json:"machine"`
	LoadEnd     string    `json:"loadavg_end"`
	Results     []Result  `json:"results"`
	Summary     []Summary `json:"summary"`
	// Ratio is the median over the rounds of signald's req/s over
	// nginx's in the same round; the goal is ≥ 0.8.
	Ratio      float64  `json:"signald_vs_nginx"`
	RatioMin   float64  `json:"signald_vs_nginx_min"`
	RatioMax   float64  `json:"signald_vs_nginx_max"`
	ProfileTop []string `json:"signald_cpu_profile_top,omitempty"`
}

// Result is one server in one round.
type Result struct {
	Server string `json:"server"`
	Round  int    `json:"round"`
	Stats
}

// Summary is one server over the rounds (medians).
type Summary struct {
	Server string  `json:"server"`
	RPS    float64 `json:"requests_per_s"`
	RPSMin float64 `json:"requests_per_s_min"`
	RPSMax float64 `json:"requests_per_s_max"`
	P50Ms  float64 `json:"latency_p50_ms"`
	P99Ms  float64 `json:"latency_p99_ms"`
	Non2xx int64   `json:"non_2xx"`
	Errors int64   `json:"socket_errors"`
}

func (r *Report) summarise() {
	r.Summary = nil
	for _, srv := range []string{signald, baseline} {
		var rps, p50, p99 []float64
		s := Summary{Server: srv}
		for _, res := range r.Results {
			if res.Server == srv {
				rps, p50, p99 = append(rps, res.RPS), append(p50, res.P50Ms), append(p99, res.P99Ms)
				s.Non2xx += res.Non2xx
				s.Errors += res.SocketErrors
			}
		}
		if len(rps) == 0 {
			continue
		}
		s.RPS, s.RPSMin, s.RPSMax = median(rps), slices.Min(rps), slices.Max(rps)
		s.P50Ms, s.P99Ms = median(p50), median(p99)
		r.Summary = append(r.Summary, s)
	}
	var ratios []float64
	for round := 1; round <= r.Rounds; round++ {
		var a, b float64
		for _, res := range r.Results {
			if res.Round != round {
				continue
			}
			if res.Server == signald {
				a = res.RPS
			} else {
				b = res.RPS
			}
		}
		if a > 0 && b > 0 {
			ratios = append(ratios, a/b)
		}
	}
	if len(ratios) > 0 {
		r.Ratio, r.RatioMin, r.RatioMax = median(ratios), slices.Min(ratios), slices.Max(ratios)
	}
}

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

// WriteTable writes the summary as markdown.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| server | req/s | req/s range | p50 ms | p99 ms | non-2xx | socket errors |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Summary {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f–%.0f | %.3f | %.3f | %d | %d |\n",
			s.Server, s.RPS, s.RPSMin, s.RPSMax, s.P50Ms, s.P99Ms, s.Non2xx, s.Errors)
	}
	fmt.Fprintf(&b, "\nsignald ÷ nginx: **%.2f×** (per-round range %.2f–%.2f; goal ≥ 0.8×)\n", r.Ratio, r.RatioMin, r.RatioMax)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSetup writes how the run was made.
func (r *Report) WriteSetup(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d × %s, Linux %s; load average %s at start, %s at end\n", m.CPUs, m.CPUModel, m.Kernel, m.LoadStart, r.LoadEnd)
	fmt.Fprintf(&b, "- servers pinned to CPU %s, wrk to CPU %s: `wrk -t1 -c%d -d%gs --latency`, %gs warm-up before each; %d rounds, the servers' order alternating; figures are medians over the rounds, the ratio the median of the per-round ratios\n",
		r.ServerCPU, r.ClientCPU, r.Connections, r.DurationS, r.WarmupS, r.Rounds)
	fmt.Fprintf(&b, "- request: `GET /mirrorlist?%s`; fixture of %d mirrors (statustest.Fleet); body %d bytes, %d lines (nginx serves one response of the handler as a static file at the same URL)\n",
		r.Query, r.Mirrors, r.BodyBytes, r.BodyLines)
	fmt.Fprintf(&b, "- signald: server/mirrorlist behind server/httpserve.Serve (signald's http.Server), %s, GOMAXPROCS = the one pinned CPU\n", m.Go)
	fmt.Fprintf(&b, "- nginx: %s, one worker, access log off, sendfile on, otherwise defaults; wrk: %s\n", m.Nginx, m.Wrk)
	if len(r.ProfileTop) > 0 {
		b.WriteString("\nsignald CPU profile under the same load (`go tool pprof -top`):\n\n```\n")
		b.WriteString(strings.Join(r.ProfileTop, "\n"))
		b.WriteString("\n```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report atomically.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}
