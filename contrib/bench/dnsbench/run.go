package dnsbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/contrib/bench/benchhost"
)

// dnsperfSlack is how long past its time limit dnsperf may take (its
// last queries time out after dnsperfTimeout) before it is stopped.
const dnsperfSlack = 15 * time.Second

// ServerNames are the servers a run can measure, in table order.
var ServerNames = []string{"signald", "nsd", "knot"}

// Options say what to measure and how.
type Options struct {
	Signald  string        // path of the built signald
	Duration time.Duration // per mode, server and round
	Rounds   int           // measurements of each server in each mode
	// LatencyRate is the fixed load, in queries per second, of the run
	// that measures latency; the same for every server and below every
	// server's ceiling, so latencies compare at equal load.
	LatencyRate int
	Warmup      time.Duration // unmeasured load before each measurement
	ServerCPU   string        // taskset CPU list for the servers
	ClientCPU   string        // and for dnsperf
	Servers     []string      // subset of ServerNames; signald always runs, as the primary
	Modes       []string      // subset of the names in Modes
	Command     string        // the command line, for the report

	pinned []int // ServerCPU and ClientCPU, parsed by Validate
}

// Validate reports options that cannot work, naming the flag.
func (o *Options) Validate() error {
	var errs []error
	if o.Duration < time.Second {
		errs = append(errs, fmt.Errorf("duration: %s is under 1s", o.Duration))
	}
	if o.Rounds < 1 {
		errs = append(errs, fmt.Errorf("rounds: %d is under 1", o.Rounds))
	}
	if o.LatencyRate < 1 {
		errs = append(errs, fmt.Errorf("latency-qps: %d is under 1", o.LatencyRate))
	}
	if o.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup: %s is negative", o.Warmup))
	}
	o.pinned = nil
	for _, c := range []struct{ flag, list string }{{"server-cpu", o.ServerCPU}, {"client-cpu", o.ClientCPU}} {
		cpus, err := parseCPUList(c.list)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.flag, err))
		}
		for _, n := range cpus {
			if !slices.Contains(o.pinned, n) {
				o.pinned = append(o.pinned, n)
			}
		}
	}
	for _, s := range o.Servers {
		if !slices.Contains(ServerNames, s) {
			errs = append(errs, fmt.Errorf("servers: unknown server %q (have %s)", s, strings.Join(ServerNames, ", ")))
		}
	}
	for _, m := range o.Modes {
		if _, ok := findMode(m); !ok {
			errs = append(errs, fmt.Errorf("modes: unknown mode %q", m))
		}
	}
	return errors.Join(errs...)
}

func findMode(name string) (Mode, bool) {
	i := slices.IndexFunc(Modes, func(m Mode) bool { return m.Name == name })
	if i < 0 {
		return Mode{}, false
	}
	return Modes[i], true
}

// Run starts the servers, measures each mode against each server in turn,
// stops everything and returns the report. Progress goes to log.
//
// Runs on one machine drift by ±15 % from one minute to the next (a shared
// VM), more than the differences being measured. So each mode is measured
// in Rounds rounds, each server once per round, the order rotated from
// round to round; a server is compared with NSD within a round, where both
// met the same machine seconds apart, and the summary takes medians.
func Run(ctx context.Context, o Options, log io.Writer) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dnsbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &Report{Date: time.Now().UTC(), Command: o.Command, Query: Query,
		DurationS: o.Duration.Seconds(), WarmupS: o.Warmup.Seconds(), Rounds: o.Rounds, LatencyRate: o.LatencyRate,
		ServerCPU: o.ServerCPU, ClientCPU: o.ClientCPU, Machine: describeMachine()}
	started, err := startServers(ctx, o, dir, log)
	defer stopAll(started)
	if err != nil {
		return nil, err
	}
	if err := sameAnswers(ctx, started); err != nil {
		return nil, err
	}
	var servers []*server
	for _, s := range started {
		if slices.Contains(o.Servers, s.Name) {
			servers = append(servers, s)
		}
	}
	for _, s := range servers {
		r.Servers = append(r.Servers, ServerInfo{Name: s.Name, Version: s.Version, Notes: s.Notes})
	}
	queries := filepath.Join(dir, "queries.txt")
	if err := os.WriteFile(queries, []byte(Query+"\n"), 0o600); err != nil {
		return nil, err
	}
	for _, name := range o.Modes {
		m, _ := findMode(name)
		r.Modes = append(r.Modes, ModeInfo{Name: m.Name, Desc: m.Desc, DNSPerf: strings.Join(m.Args, " ")})
		for round := range o.Rounds {
			for _, s := range rotate(servers, round) {
				st, err := measure(ctx, o, dir, queries, m, s)
				if err != nil {
					return nil, fmt.Errorf("%s against %s: %w", m.Name, s.Name, err)
				}
				fmt.Fprintf(log, "dnsbench: %-7s round %d %-8s %7.0f qps  p99 %6.3f ms  lost %d  CPU %% server %3.0f  dnsperf %3.0f  other %3.0f  steal %3.0f\n",
					m.Name, round+1, s.Name, st.QPS, st.P99Ms, st.Lost, st.ServerCPU, st.DNSPerfCPU, st.OtherCPU, st.StealCPU)
				r.Results = append(r.Results, Result{Mode: m.Name, Server: s.Name, Round: round + 1, Stats: st})
			}
		}
	}
	r.Machine.LoadEnd = benchhost.Load()
	r.summarise()
	return r, nil
}

// startServers starts signald, then the requested secondaries once it
// serves its zone. It returns what it started even on error, to be
// stopped. signald always runs: it is the secondaries' primary.
func startServers(ctx context.Context, o Options, dir string, log io.Writer) ([]*server, error) {
	var all []*server
	sub := func(name string) (string, error) {
		d := filepath.Join(dir, name)
		return d, os.Mkdir(d, 0o700)
	}
	d, err := sub("signald")
	if err != nil {
		return nil, err
	}
	primary, err := startSignald(ctx, o.Signald, d, o.ServerCPU)
	if err != nil {
		return nil, err
	}
	all = append(all, primary)
	serial, err := soaSerial(ctx, primary.Addr)
	if err != nil {
		return all, err
	}
	fmt.Fprintf(log, "dnsbench: signald on %s serves serial %d (%s)\n", primary.Addr, serial, primary.Notes)
	starts := map[string]func(context.Context, string, string, string, uint32) (*server, error){
		"nsd": startNSD, "knot": startKnot,
	}
	for _, name := range ServerNames[1:] {
		if !slices.Contains(o.Servers, name) {
			continue
		}
		if d, err = sub(name); err != nil {
			return all, err
		}
		s, err := starts[name](ctx, d, o.ServerCPU, primary.Addr, serial)
		if err != nil {
			return all, err
		}
		all = append(all, s)
		fmt.Fprintf(log, "dnsbench: %s on %s transferred serial %d\n", s.Name, s.Addr, serial)
	}
	return all, nil
}

// rotate is servers starting at the round-th, wrapping around: in n
// rounds every server goes first once.
func rotate(servers []*server, round int) []*server {
	if len(servers) == 0 {
		return nil
	}
	k := round % len(servers)
	return append(slices.Clone(servers[k:]), servers[:k]...)
}

func stopAll(servers []*server) {
	for i := len(servers) - 1; i >= 0; i-- {
		servers[i].proc.Stop()
	}
}

// sameAnswers checks that every server gives signald's answer to the
// benchmark query, with and without DO: the same zone, transferred.
func sameAnswers(ctx context.Context, servers []*server) error {
	name := "current." + zoneOrigin
	for _, do := range []bool{false, true} {
		var want string
		for i, s := range servers {
			got, err := answerText(ctx, s.Addr, name, dns.TypeTXT, do)
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			if i == 0 {
				want = got
				continue
			}
			if got != want {
				return fmt.Errorf("%s answers TXT (DO %v) differently from %s:\n%s\nwant:\n%s", s.Name, do, servers[0].Name, got, want)
			}
		}
	}
	return nil
}

// measure runs a warm-up, the throughput run (as fast as the server
// answers: qps and CPU) and the latency run (LatencyRate queries per
// second, each query's latency printed: percentiles), and checks that the
// server survived. The throughput run prints nothing per query: dnsperf
// would spend a write system call on each, a third of its own system
// calls, and it is the bottleneck.
func measure(ctx context.Context, o Options, dir, queries string, m Mode, s *server) (Stats, error) {
	if o.Warmup > 0 {
		if _, err := dnsperf(ctx, o, dir, "warmup", dnsperfArgs(m, s.Addr, queries, o.Warmup.Seconds(), 0), o.Warmup); err != nil {
			return Stats{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	before, busyBefore, stealBefore := s.proc.cpuTime(), cpuBusy(o.pinned), cpuSteal(o.pinned)
	st, err := dnsperf(ctx, o, dir, m.Name+"-"+s.Name, dnsperfArgs(m, s.Addr, queries, o.Duration.Seconds(), 0), o.Duration)
	if err != nil {
		return Stats{}, err
	}
	st.ServerCPU = percentOf(s.proc.cpuTime()-before, st.RunTime)
	if busyBefore > 0 {
		st.OtherCPU = max(0, percentOf(cpuBusy(o.pinned)-busyBefore, st.RunTime)-st.ServerCPU-st.DNSPerfCPU)
		st.StealCPU = percentOf(cpuSteal(o.pinned)-stealBefore, st.RunTime)
	}
	if st.ServerCPU > 0 {
		st.QPSPerCore = st.QPS / (st.ServerCPU / 100)
	}
	if st.Completed == 0 {
		return Stats{}, errors.New("no query answered")
	}
	lat, err := dnsperf(ctx, o, dir, m.Name+"-"+s.Name+"-latency", dnsperfArgs(m, s.Addr, queries, o.Duration.Seconds(), o.LatencyRate), o.Duration)
	if err != nil {
		return Stats{}, fmt.Errorf("latency run: %w", err)
	}
	st.AvgMs, st.MaxMs, st.P50Ms, st.P99Ms, st.Samples = lat.AvgMs, lat.MaxMs, lat.P50Ms, lat.P99Ms, lat.Samples
	st.LatencyQPS, st.LatencyLost = lat.QPS, lat.Lost
	if s.proc.exited() {
		return Stats{}, fmt.Errorf("%s %w during the run: %v\n%s", s.Name, errExited, s.proc.err, s.proc.tail())
	}
	return st, nil
}

// dnsperf runs dnsperf on the client CPU, bounded by d plus slack, and
// parses its output, which it then deletes (-v output is tens of MB).
func dnsperf(ctx context.Context, o Options, dir, name string, args []string, d time.Duration) (Stats, error) {
	p, err := startProcess("dnsperf-"+name, o.ClientCPU, dir, nil, "dnsperf", args...)
	if err != nil {
		return Stats{}, err
	}
	defer os.Remove(p.logPath)
	defer p.Stop()
	select {
	case <-p.done:
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	case <-time.After(d + dnsperfSlack):
		return Stats{}, fmt.Errorf("dnsperf still running %s after its time limit", dnsperfSlack)
	}
	if p.err != nil {
		return Stats{}, fmt.Errorf("dnsperf %s: %w\n%s", strings.Join(args, " "), p.err, p.tail())
	}
	f, err := os.Open(p.logPath)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	st, err := parseOutput(f)
	st.DNSPerfCPU = percentOf(p.usedCPU(), st.RunTime)
	return st, err
}

// percentOf is cpu as a percentage of seconds.
func percentOf(cpu time.Duration, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / seconds
}
