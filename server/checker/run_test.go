package checker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// fakeProber answers from per-host functions of the (fake) time, taking
// latency per probe, and logs every call.
type fakeProber struct {
	latency time.Duration
	mu      sync.Mutex
	answer  func(host string, fam probe.Family, now time.Time) probe.Result
	calls   []call
}

type call struct {
	host string
	fam  probe.Family
	at   time.Time
}

func (p *fakeProber) Fetch(ctx context.Context, url string, fam probe.Family) probe.Result {
	host := hostOf(url)
	p.mu.Lock()
	p.calls = append(p.calls, call{host, fam, time.Now()})
	answer := p.answer
	p.mu.Unlock()
	select {
	case <-time.After(p.latency):
	case <-ctx.Done():
		return probe.Result{Err: probe.ErrCanceled, Class: probe.Error}
	}
	r := answer(host, fam, time.Now())
	r.Latency = p.latency
	return r
}

// firstCalls returns when each host was first probed at or after since.
func (p *fakeProber) firstCalls(since time.Time) map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Time{}
	for _, c := range p.calls {
		if _, ok := out[c.host]; !ok && !c.at.Before(since) {
			out[c.host] = c.at
		}
	}
	return out
}

func ok(st int64) probe.Result { return probe.Result{Stamp: st, Class: probe.OK} }

var down = probe.Result{Err: fmt.Errorf("%w: refused", probe.ErrUnreachable), Class: probe.Unreachable}

func record(st int64) signal.Record {
	return signal.Record{Layout: layout, Stamps: []int64{st, 0, 0}}
}

// runFleet has four mirrors of content; m0 is probed over IPv4 and IPv6.
const runFleet = `
[[mirror]]
name = "m0.example.net"
country = "DE"
families = ["ipv4", "ipv6"]
[mirror.trees.content]
https = "https://m0.example.net/"
[[mirror]]
name = "m1.example.net"
country = "DE"
[mirror.trees.content]
https = "https://m1.example.net/"
[[mirror]]
name = "m2.example.net"
country = "DE"
[mirror.trees.content]
http = "http://m2.example.net/"
[[mirror]]
name = "m3.example.net"
country = "DE"
[mirror.trees.content]
rsync = "rsync://m3.example.net/c/"
`

type collected struct {
	mu          sync.Mutex
	transitions []Transition
	recorded    int
	views       int
}

func (c *collected) Record(_ context.Context, rs []Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recorded += len(rs)
	return nil
}

func (c *collected) notify(ts []Transition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.transitions = append(c.transitions, ts...)
}

func TestRunner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		old := start.Unix() - 3600
		var pub time.Time // zero until the publish
		freshAfter := map[string]time.Duration{
			"m0.example.net": 7 * time.Second, "m1.example.net": 25 * time.Second,
			"m2.example.net": 95 * time.Second, "m3.example.net": 4 * time.Minute,
		}
		var mu sync.Mutex
		m1Down := false
		p := &fakeProber{latency: 200 * time.Millisecond}
		p.answer = func(host string, fam probe.Family, now time.Time) probe.Result {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case fam == probe.IPv6:
				return down // m0's IPv6 path is broken throughout
			case host == "m1.example.net" && m1Down:
				return down
			case pub.IsZero() || now.Sub(pub) < freshAfter[host]:
				return ok(old)
			}
			return ok(pub.Unix())
		}
		got := &collected{}
		reg := prometheus.NewRegistry()
		f := fleet(t, runFleet)
		c, err := New(Options{Fleet: func() *mirrors.Fleet { return f }, Prober: p,
			Interval: time.Minute, FastInterval: 10 * time.Second, FastWindow: 10 * time.Minute,
			Sink: got, Notify: got.notify, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		c.Subscribe(ViewFunc(func(*View) { got.mu.Lock(); got.views++; got.mu.Unlock() }))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()

		time.Sleep(time.Second)
		synctest.Wait()
		if len(p.calls) != 0 {
			t.Fatal("probed before the signal was known")
		}
		c.SignalChanged(record(old))
		begin := time.Now()
		time.Sleep(2 * time.Minute)
		synctest.Wait()

		part(t, "spread", func(t *testing.T) {
			first := p.firstCalls(begin)
			for i := range 4 {
				host := fmt.Sprintf("m%d.example.net", i)
				if want := time.Duration(i) * 15 * time.Second; first[host].Sub(begin) != want {
					t.Errorf("%s first probed at +%v, want +%v", host, first[host].Sub(begin), want)
				}
			}
		})
		part(t, "IPv6 down, IPv4 fresh", func(t *testing.T) {
			m0, _ := c.View().Mirror("m0.example.net")
			tv, _ := m0.Tree("content")
			if tv.State != Fresh || tv.Family != mirrors.IPv4 || len(tv.Probes) != 2 {
				t.Fatalf("m0: %+v", tv)
			}
			for _, r := range tv.Probes {
				if r.Family == mirrors.IPv6 && r.State != Unreachable {
					t.Errorf("m0 over IPv6: %s", r.State)
				}
			}
		})

		mu.Lock()
		pub = time.Now()
		mu.Unlock()
		c.SignalChanged(record(pub.Unix()))
		time.Sleep(10 * time.Minute)
		synctest.Wait()

		part(t, "propagation", func(t *testing.T) {
			v := c.View()
			if len(v.Events) != 1 {
				t.Fatalf("%d events", len(v.Events))
			}
			e := v.Events[0]
			if e.Carrying != 4 || e.Fresh != 4 || len(e.Reached) != 5 || len(e.Curve) != 4 {
				t.Fatalf("event %+v", e)
			}
			// Sorted fresh-at times of the mirrors: 7 s, 25 s, 95 s, 4 min;
			// each seen within one fast interval (plus a probe's latency).
			wantAt := map[int]time.Duration{50: 25 * time.Second, 80: 4 * time.Minute, 100: 4 * time.Minute}
			for _, r := range e.Reached {
				w, ok := wantAt[r.Percent]
				if ok && (r.After < w || r.After > w+10*time.Second+time.Second) {
					t.Errorf("%d %% after %v, want within 10 s after %v", r.Percent, r.After, w)
				}
			}
		})
		part(t, "fast re-checks stop once fresh", func(t *testing.T) {
			p.mu.Lock()
			defer p.mu.Unlock()
			n := 0
			for _, cl := range p.calls {
				if cl.host == "m0.example.net" && cl.fam == probe.IPv4 && !cl.at.Before(pub) {
					n++
				}
			}
			// Fast rounds until about +10 s, then one base round a minute.
			if n < 10 || n > 14 {
				t.Errorf("m0 probed %d times over IPv4 in 10 min after the publish", n)
			}
		})

		mu.Lock()
		m1Down = true
		outage := time.Now()
		mu.Unlock()
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		mu.Lock()
		m1Down = false
		mu.Unlock()
		time.Sleep(5 * time.Minute)
		synctest.Wait()

		part(t, "one transition per change", func(t *testing.T) {
			got.mu.Lock()
			defer got.mu.Unlock()
			var desc []string
			for _, tr := range got.transitions {
				desc = append(desc, fmt.Sprintf("%s %s>%s", tr.Mirror, tr.From, tr.To))
			}
			// The publish makes every mirror behind for a while; m1's outage
			// is one change down and one back.
			want := "m1.example.net fresh>unreachable, m1.example.net unreachable>fresh"
			if !strings.Contains(strings.Join(desc, ", "), want) {
				t.Errorf("transitions %v, want %s among them", desc, want)
			}
			n := 0
			for _, tr := range got.transitions {
				if tr.Mirror == "m1.example.net" && !tr.At.Before(outage) {
					n++
				}
			}
			if n != 2 {
				t.Errorf("m1: %d transitions: %v", n, desc)
			}
		})
		part(t, "check-in schedules a probe now", func(t *testing.T) {
			if c.Recheck("nope.example.net") {
				t.Error("recheck of an unknown mirror")
			}
			at := time.Now()
			if !c.Recheck("m3.example.net") {
				t.Fatal("recheck refused")
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if first := p.firstCalls(at)["m3.example.net"]; first.Sub(at) > 0 {
				t.Errorf("check-in probed after %v", first.Sub(at))
			}
		})
		part(t, "metrics", func(t *testing.T) {
			time.Sleep(viewEvery)
			synctest.Wait()
			got := gather(t, reg)
			if n := got[`mirrorsignal_checker_mirrors{state="fresh",tree="content"}`]; n != 4 {
				t.Errorf("%v fresh mirrors", n)
			}
			// 5 probe targets a minute.
			if n := got["mirrorsignal_checker_probes_planned_per_minute"]; n != 5 {
				t.Errorf("planned %v probes a minute", n)
			}
			if n := got["mirrorsignal_checker_probes_achieved_per_minute"]; n < 5 {
				t.Errorf("achieved %v probes a minute", n)
			}
			if n := got[`mirrorsignal_checker_probes_total{protocol="https",state="fresh"}`]; n == 0 {
				t.Error("no probe counters")
			}
		})
		got.mu.Lock()
		if got.recorded == 0 || got.views == 0 {
			t.Errorf("sink got %d results, subscribers %d views", got.recorded, got.views)
		}
		got.mu.Unlock()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// gather returns the gauges and counters of reg by name{labels}.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

// part runs one part of a test inside a synctest bubble, where t.Run is
// not allowed, naming it in the log.
func part(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Logf("part %q", name)
	f(t)
}
