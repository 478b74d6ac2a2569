package dnsbench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Query is the one query every mode sends: the signal record.
const Query = "current." + zoneOrigin + " TXT"

// dnsperfTimeout is dnsperf's per-query timeout (-t), in seconds: a query
// without an answer by then counts as lost.
const dnsperfTimeout = "2"

// Mode is one kind of load.
type Mode struct {
	Name string   // short, for tables and JSON
	Desc string   // what it sends
	Args []string // dnsperf arguments besides server, port, file and time
}

// Modes are the benchmark loads. UDP uses one client socket with 100
// queries outstanding (each server reads one socket). TCP is pipelined: 16
// connections and 64 queries outstanding, 4 per connection, as a resolver
// that reuses connections does. tcp-1 adds TCP without pipelining (64
// connections, one query outstanding on each), where batching the
// answers of one connection cannot help.
var Modes = []Mode{
	{"udp", "UDP, TXT without EDNS", []string{"-m", "udp", "-c", "1", "-q", "100"}},
	{"udp-do", "UDP, TXT with EDNS DO (signed answer)", []string{"-m", "udp", "-D", "-c", "1", "-q", "100"}},
	{"tcp", "TCP pipelined, TXT without EDNS, 16 connections × 4 outstanding", []string{"-m", "tcp", "-c", "16", "-q", "64"}},
	{"tcp-1", "TCP not pipelined, TXT without EDNS, 64 connections × 1 outstanding", []string{"-m", "tcp", "-c", "64", "-q", "64"}},
}

// dnsperfArgs is dnsperf's command line for one run against addr for
// seconds: as fast as the server answers when rate is 0, else at rate
// queries per second (-Q) with each query's latency printed (-v).
func dnsperfArgs(m Mode, addr, queryFile string, seconds float64, rate int) []string {
	host, port := splitHostPort(addr)
	args := []string{"-s", host, "-p", port, "-d", queryFile,
		"-l", strconv.FormatFloat(seconds, 'f', -1, 64), "-t", dnsperfTimeout}
	if rate > 0 {
		args = append(args, "-v", "-Q", strconv.Itoa(rate))
	}
	return append(args, m.Args...)
}

// Stats is what one dnsperf run measured.
type Stats struct {
	Sent      int64   `json:"queries_sent"`
	Completed int64   `json:"queries_completed"`
	Lost      int64   `json:"queries_lost"`
	NoError   int64   `json:"rcode_noerror"`
	RunTime   float64 `json:"run_time_s"`
	QPS       float64 `json:"qps"`
	RespBytes float64 `json:"response_bytes_avg"`
	// Latencies in milliseconds, measured in a separate run at a fixed
	// load (LatencyQPS achieved, LatencyLost timed out): average and
	// maximum from dnsperf's summary, percentiles from its per-query lines.
	AvgMs float64 `json:"latency_avg_ms"`
	P50Ms float64 `json:"latency_p50_ms"`
	P99Ms float64 `json:"latency_p99_ms"`
	MaxMs float64 `json:"latency_max_ms"`
	// Samples is the number of per-query latencies the percentiles come
	// from (queries answered; timeouts are in Lost).
	Samples     int     `json:"latency_samples"`
	LatencyQPS  float64 `json:"latency_run_qps"`
	LatencyLost int64   `json:"latency_run_lost"`
	// CPU used during the run, in % of one core: by the server's
	// processes (all its threads and forks) and by dnsperf. A server
	// below 100 % was not the bottleneck; dnsperf near 100 % was.
	ServerCPU  float64 `json:"server_cpu_pct"`
	DNSPerfCPU float64 `json:"dnsperf_cpu_pct"`
	// OtherCPU is the busy time of the pinned cores not spent by the
	// server or dnsperf (other programs, interrupts), in % of one core:
	// more than a few % means the run was disturbed.
	OtherCPU float64 `json:"other_cpu_pct"`
	// StealCPU is the time the hypervisor kept the pinned cores from
	// running while they had work, in % of one core (part of OtherCPU).
	StealCPU float64 `json:"steal_cpu_pct"`
	// QPSPerCore is qps per core-second of server CPU: what the server
	// would do with a core of its own when dnsperf, not the server, was
	// the bottleneck (server CPU below 100 %).
	QPSPerCore float64 `json:"qps_per_server_core"`
}

var (
	reSent      = regexp.MustCompile(`(?m)^\s*Queries sent:\s+(\d+)`)
	reCompleted = regexp.MustCompile(`(?m)^\s*Queries completed:\s+(\d+)`)
	reLost      = regexp.MustCompile(`(?m)^\s*Queries lost:\s+(\d+)`)
	reNoError   = regexp.MustCompile(`(?m)^\s*Response codes:.*\bNOERROR (\d+)`)
	reRunTime   = regexp.MustCompile(`(?m)^\s*Run time \(s\):\s+([0-9.]+)`)
	reQPS       = regexp.MustCompile(`(?m)^\s*Queries per second:\s+([0-9.]+)`)
	reSize      = regexp.MustCompile(`(?m)^\s*Average packet size:\s+request \d+, response (\d+)`)
	reLatency   = regexp.MustCompile(`(?m)^\s*Average Latency \(s\):\s+([0-9.]+) \(min [0-9.]+, max ([0-9.]+)\)`)
)

// errNoSummary means dnsperf's output lacks its statistics: it failed.
var errNoSummary = errors.New("dnsperf output has no statistics")

// parseSummary reads dnsperf's "Statistics:" block. In TCP mode a
// "Connection Statistics:" block follows with its own latency lines; only
// the query block is read.
func parseSummary(out string) (Stats, error) {
	i := strings.Index(out, "\nStatistics:")
	if i < 0 {
		return Stats{}, errNoSummary
	}
	out = out[i:]
	if j := strings.Index(out, "Connection Statistics:"); j >= 0 {
		out = out[:j]
	}
	var s Stats
	ints := []struct {
		re  *regexp.Regexp
		dst *int64
	}{{reSent, &s.Sent}, {reCompleted, &s.Completed}, {reLost, &s.Lost}}
	for _, f := range ints {
		m := f.re.FindStringSubmatch(out)
		if m == nil {
			return Stats{}, fmt.Errorf("%w: no %q", errNoSummary, f.re)
		}
		*f.dst, _ = strconv.ParseInt(m[1], 10, 64)
	}
	floats := []struct {
		re  *regexp.Regexp
		dst *float64
	}{{reRunTime, &s.RunTime}, {reQPS, &s.QPS}}
	for _, f := range floats {
		m := f.re.FindStringSubmatch(out)
		if m == nil {
			return Stats{}, fmt.Errorf("%w: no %q", errNoSummary, f.re)
		}
		*f.dst, _ = strconv.ParseFloat(m[1], 64)
	}
	// Absent when nothing was answered.
	if m := reNoError.FindStringSubmatch(out); m != nil {
		s.NoError, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reSize.FindStringSubmatch(out); m != nil {
		s.RespBytes, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reLatency.FindStringSubmatch(out); m != nil {
		avg, _ := strconv.ParseFloat(m[1], 64)
		max, _ := strconv.ParseFloat(m[2], 64)
		s.AvgMs, s.MaxMs = avg*1e3, max*1e3
	}
	return s, nil
}

// parseOutput reads dnsperf -v output: the latency of every answered
// query, from lines like
//
//	> NOERROR current.mirrors.example.test TXT 0.000546
//
// (RCODE, the query, latency in seconds), and the statistics at the end.
// Timed-out ("T") and interrupted ("I") queries have no latency and are
// skipped; they are counted in the statistics.
func parseOutput(r io.Reader) (Stats, error) {
	var us []int32
	var rest strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 2 || line[0] != '>' || line[1] != ' ' {
			rest.Write(line)
			rest.WriteByte('\n')
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 5 || f[1] == "T" || f[1] == "I" {
			continue
		}
		sec, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return Stats{}, fmt.Errorf("dnsperf latency line %q: %w", line, err)
		}
		us = append(us, int32(min(math.Round(sec*1e6), math.MaxInt32)))
	}
	if err := sc.Err(); err != nil {
		return Stats{}, err
	}
	s, err := parseSummary(rest.String())
	if err != nil {
		return Stats{}, err
	}
	s.addPercentiles(us)
	return s, nil
}

// percentileMs is the p-th percentile (nearest rank, 0 < p ≤ 100) of
// sorted latencies in microseconds, in milliseconds; 0 without samples.
func percentileMs(sorted []int32, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return float64(sorted[rank-1]) / 1e3
}

// addPercentiles sets s's percentiles from latencies (which it sorts).
func (s *Stats) addPercentiles(latencies []int32) {
	slices.Sort(latencies)
	s.Samples = len(latencies)
	s.P50Ms = percentileMs(latencies, 50)
	s.P99Ms = percentileMs(latencies, 99)
}
