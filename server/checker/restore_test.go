package checker

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// firstFreshDB is a fake of the store's first_fresh table.
type firstFreshDB struct {
	mu    sync.Mutex
	rows  map[eventKey]map[string]time.Time
	calls int
}

func (db *firstFreshDB) record(tree string, stamp int64, mirror string, at time.Time) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.calls++
	k := eventKey{tree, stamp}
	if db.rows[k] == nil {
		db.rows[k] = map[string]time.Time{}
	}
	if _, ok := db.rows[k][mirror]; !ok { // the first call counts, as in the store
		db.rows[k][mirror] = at
	}
}

func (db *firstFreshDB) restore(tree string, stamp int64) map[string]time.Time {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := map[string]time.Time{}
	for m, at := range db.rows[eventKey{tree, stamp}] {
		out[m] = at
	}
	return out
}

// TestRestartKeepsPropagation stops a checker in the middle of a
// propagation and after its end: a new checker learning the same publish
// gets the first-fresh times back, so the figures do not change, and no
// mirror is counted twice.
func TestRestartKeepsPropagation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		old := time.Now().Unix() - 3600
		var pub time.Time
		freshAfter := map[string]time.Duration{
			"m0.example.net": 7 * time.Second, "m1.example.net": 25 * time.Second,
			"m2.example.net": 95 * time.Second, "m3.example.net": 4 * time.Minute,
		}
		var mu sync.Mutex
		p := &fakeProber{latency: 200 * time.Millisecond}
		p.answer = func(host string, _ probe.Family, now time.Time) probe.Result {
			mu.Lock()
			defer mu.Unlock()
			if pub.IsZero() || now.Sub(pub) < freshAfter[host] {
				return ok(old)
			}
			return ok(pub.Unix())
		}
		f := simpleFleet(t, 4)
		db := &firstFreshDB{rows: map[eventKey]map[string]time.Time{}}
		start := func() (*Checker, context.CancelFunc, chan error) {
			c, err := New(Options{Fleet: func() *mirrors.Fleet { return f }, Prober: p,
				Interval: time.Minute, FastInterval: 10 * time.Second, FastWindow: 10 * time.Minute,
				FirstFresh: db.record, Restore: db.restore})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- c.Run(ctx) }()
			return c, cancel, done
		}
		event := func(c *Checker) Event {
			t.Helper()
			v := c.View()
			if len(v.Events) != 1 {
				t.Fatalf("%d events", len(v.Events))
			}
			return v.Events[0]
		}

		a, stopA, doneA := start()
		a.SignalChanged(record(old))
		time.Sleep(2 * time.Minute)
		mu.Lock()
		pub = time.Now()
		mu.Unlock()
		a.SignalChanged(record(pub.Unix()))
		time.Sleep(2 * time.Minute) // m0, m1 and m2 fresh
		synctest.Wait()
		mid := event(a)
		stopA()
		<-doneA
		if mid.Fresh != 3 {
			t.Fatalf("before the restart %d fresh, want 3", mid.Fresh)
		}

		b, stopB, doneB := start()
		b.SignalChanged(record(pub.Unix())) // its first zone: the same publish
		time.Sleep(3 * time.Second)         // a view, before any round ends
		synctest.Wait()
		got := event(b)
		if got.Fresh != 3 || got.Carrying != 4 || !slices.Equal(got.Reached, mid.Reached) {
			t.Fatalf("restored %+v, want the figures of %+v", got, mid)
		}
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		full := event(b)
		stopB()
		<-doneB
		if full.Fresh != 4 || len(full.Reached) != 5 || full.Reached[0] != mid.Reached[0] {
			t.Fatalf("after the restart %+v", full)
		}

		c, stopC, doneC := start()
		c.SignalChanged(record(pub.Unix()))
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if again := event(c); again.Fresh != 4 || !slices.Equal(again.Reached, full.Reached) || !slices.Equal(again.Curve, full.Curve) {
			t.Errorf("restarted after the end: %+v, want the figures of %+v", again, full)
		}
		stopC()
		<-doneC
		if db.calls != 4 {
			t.Errorf("FirstFresh called %d times, want once per mirror", db.calls)
		}
	})
}

// TestRestoreGateTimes gives the checker the times the publisher's gate
// saw tier-1 hosts serve a stamp: they count from then, and once.
func TestRestoreGateTimes(t *testing.T) {
	c := newCore(config{interval: time.Minute, fast: 10 * time.Second, window: 10 * time.Minute, hysteresis: 2, events: 50, timeFile: "TIME"})
	before := time.Unix(stamp, 0).Add(-time.Hour)
	c.setFleet(simpleFleet(t, 4), before)
	if keys := c.setSignal(map[string]int64{"content": stamp - 600, "altarch": 0}, before); len(keys) != 1 {
		t.Fatalf("first zone: restore %v, want content only", keys)
	}
	// The first zone is no publish: a Restore without rows opens nothing.
	c.restore(eventKey{"content", stamp - 600}, nil, before)
	if len(c.events) != 0 {
		t.Fatalf("events %d after an empty restore", len(c.events))
	}
	learned := time.Unix(stamp, 0).Add(90 * time.Second)
	keys := c.setSignal(map[string]int64{"content": stamp, "altarch": 0}, learned)
	if len(keys) != 1 || keys[0] != (eventKey{"content", stamp}) {
		t.Fatalf("publish: restore %v", keys)
	}
	gate := map[string]time.Time{
		"m0.example.net":      time.Unix(stamp, 0).Add(20 * time.Second),
		"m1.example.net":      time.Unix(stamp, 0).Add(40 * time.Second),
		"elsewhere.example":   time.Unix(stamp, 0), // not in the fleet
		"m1.example.net.gone": time.Unix(stamp, 0),
	}
	c.restore(keys[0], gate, learned)
	e := c.events[0].summary()
	if e.Fresh != 2 || e.Reached[0] != (Reached{Percent: 50, After: 40 * time.Second}) {
		t.Fatalf("after the gate times: %+v", e)
	}
	// A probe seeing m0 fresh later does not count it again.
	ms := c.mirrors["m0.example.net"]
	ts := ms.tree("content")
	ts.best = Result{State: Fresh, Stamp: stamp, At: learned.Add(time.Minute)}
	c.credit(ms, ts)
	if e := c.events[0].summary(); e.Fresh != 2 || len(c.takeFirsts()) != 0 {
		t.Errorf("m0 counted again: %+v", e)
	}
}
