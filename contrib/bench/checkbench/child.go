package checkbench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// ChildResult is what the checker child reports on stdout, as JSON.
type ChildResult struct {
	Mirrors int                   `json:"mirrors"`
	Probes  int                   `json:"probes"`
	WallS   float64               `json:"wall_s"` // from Run's start to the last mirror's first result
	UserS   float64               `json:"user_s"` // this process, over the same span
	SysS    float64               `json:"sys_s"`
	States  map[checker.State]int `json:"states"` // probe results by state
	// First counts the mirrors by the state of their first round (its
	// worst probe, for a mirror with several trees).
	First map[checker.State]int `json:"first_round_states"`
	// Memory, read after the round with the checker still holding it.
	HeapInuseMiB float64 `json:"heap_inuse_mib"`
	HeapLiveMiB  float64 `json:"heap_live_mib"` // HeapAlloc after a GC
	RSSMiB       float64 `json:"rss_mib"`       // VmRSS
	PeakRSSMiB   float64 `json:"peak_rss_mib"`  // VmHWM
	// The checker's gauges at the end of the round.
	PlannedPerMin  float64 `json:"planned_probes_per_min"`
	AchievedPerMin float64 `json:"achieved_probes_per_min"`
}

// childOptions are the child's flags.
type childOptions struct {
	fleet, layout        string
	stamp                int64
	recheck              bool // ask for every mirror at once (a full round as fast as it goes)
	interval, timeout    time.Duration
	concurrency, perHost int
}

// Child runs the checker over a mirrors.toml until every mirror has a
// result, then writes a ChildResult to stdout. checkbench runs it as
// `checkbench child -fleet FILE …`.
func Child(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("checkbench child", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o childOptions
	fs.StringVar(&o.fleet, "fleet", "", "mirrors.toml")
	fs.StringVar(&o.layout, "layout", "content", "tree layout")
	fs.Int64Var(&o.stamp, "stamp", 0, "every tree's signal stamp")
	fs.BoolVar(&o.recheck, "recheck", false, "ask for every mirror's round at once instead of spreading them over -interval")
	fs.DurationVar(&o.interval, "interval", checker.DefaultInterval, "the checker's base interval")
	fs.DurationVar(&o.timeout, "timeout", probe.DefaultTimeout, "probe timeout")
	fs.IntVar(&o.concurrency, "concurrency", checker.DefaultConcurrency, "probes in flight")
	fs.IntVar(&o.perHost, "per-host", checker.DefaultPerHost, "probes in flight per host")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := runChild(ctx, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// countSink counts the mirrors with a result and closes done when all have one.
type countSink struct {
	mu     sync.Mutex
	want   int
	seen   map[string]bool
	probes int
	states map[checker.State]int
	first  map[string]checker.State // mirror → the worst state of its first round
	done   chan struct{}
}

func (s *countSink) Record(_ context.Context, rs []checker.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(rs) == 0 || s.seen[rs[0].Mirror] {
		for _, r := range rs {
			s.probes++
			s.states[r.State]++
		}
		return nil
	}
	worst := checker.Fresh
	for _, r := range rs {
		s.probes++
		s.states[r.State]++
		if r.State != checker.Fresh {
			worst = r.State
		}
	}
	s.seen[rs[0].Mirror] = true
	s.first[rs[0].Mirror] = worst
	if len(s.seen) == s.want {
		close(s.done)
	}
	return nil
}

func runChild(ctx context.Context, o childOptions) (ChildResult, error) {
	layout, err := signal.ParseLayout(o.layout)
	if err != nil {
		return ChildResult{}, err
	}
	fleet, err := mirrors.Load(o.fleet, layout)
	if err != nil {
		return ChildResult{}, err
	}
	p, err := probe.New(probe.Config{Version: "checkbench", Timeout: o.timeout})
	if err != nil {
		return ChildResult{}, err
	}
	ms := fleet.Mirrors()
	sink := &countSink{want: len(ms), seen: map[string]bool{}, states: map[checker.State]int{}, first: map[string]checker.State{}, done: make(chan struct{})}
	reg := prometheus.NewRegistry()
	c, err := checker.New(checker.Options{Fleet: func() *mirrors.Fleet { return fleet }, Prober: p,
		Interval: o.interval, Concurrency: o.concurrency, PerHost: o.perHost, Sink: sink, Registerer: reg})
	if err != nil {
		return ChildResult{}, err
	}
	rec := signal.NewRecord(layout)
	for i := range rec.Stamps {
		rec.Stamps[i] = o.stamp
	}
	c.SignalChanged(rec)
	if o.recheck {
		for _, m := range ms {
			c.Recheck(m.Name())
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u0, s0 := selfCPU()
	start := time.Now()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	select {
	case <-sink.done:
	case <-ctx.Done():
		return ChildResult{}, ctx.Err()
	}
	wall := time.Since(start)
	u1, s1 := selfCPU()
	time.Sleep(2100 * time.Millisecond) // the checker publishes its gauges with a view, every 2 s
	res := ChildResult{Mirrors: len(ms), WallS: wall.Seconds(), UserS: u1 - u0, SysS: s1 - s0}
	sink.mu.Lock()
	res.Probes, res.States, res.First = sink.probes, sink.states, map[checker.State]int{}
	for _, st := range sink.first {
		res.First[st]++
	}
	sink.mu.Unlock()
	res.PlannedPerMin, res.AchievedPerMin = gauges(reg)
	readMemory(&res)
	runtime.KeepAlive(c)
	cancel()
	if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	return res, nil
}

// selfCPU is this process's user and system CPU time, in seconds.
func selfCPU() (user, sys float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return tvSeconds(ru.Utime), tvSeconds(ru.Stime)
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// gauges reads the planned and achieved probes per minute.
func gauges(reg *prometheus.Registry) (planned, achieved float64) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, mf := range mfs {
		if len(mf.GetMetric()) == 0 {
			continue
		}
		v := mf.GetMetric()[0].GetGauge().GetValue()
		switch mf.GetName() {
		case "mirrorsignal_checker_probes_planned_per_minute":
			planned = v
		case "mirrorsignal_checker_probes_achieved_per_minute":
			achieved = v
		}
	}
	return planned, achieved
}

const mib = 1 << 20

func readMemory(res *ChildResult) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuseMiB = float64(ms.HeapInuse) / mib
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.HeapLiveMiB = float64(ms.HeapAlloc) / mib
	rss, hwm := procStatus("/proc/self/status")
	res.RSSMiB, res.PeakRSSMiB = rss/1024, hwm/1024
}

// procStatus reads VmRSS and VmHWM (kB) from a /proc/<pid>/status file.
func procStatus(path string) (rss, hwm float64) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}
