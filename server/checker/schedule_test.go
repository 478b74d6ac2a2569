package checker

import (
	"testing"
	"time"
)

func testConfig() config {
	return config{interval: time.Minute, fast: 10 * time.Second, window: time.Hour,
		hysteresis: 2, events: 3, timeFile: "TIME"}
}

// answer is what a fake mirror's TIME says: its stamp, or 0 for
// unreachable.
type answer func(t target, now time.Time) int64

// runDue starts and finishes at now every round due, answering with a.
func runDue(c *core, now time.Time, a answer) (jobs []job, ts []Transition) {
	jobs, _ = c.due(now, 1<<30)
	for _, j := range jobs {
		var rs []Result
		for _, tg := range j.targets {
			rs = append(rs, fakeResult(tg, j.signal[tg.Tree], a(tg, now), now))
		}
		ts = append(ts, c.apply(j, rs, now)...)
	}
	return jobs, ts
}

func fakeResult(tg target, signal, st int64, now time.Time) Result {
	if st == 0 {
		return Result{Key: tg.Key, At: now, State: Unreachable, Signal: signal, Err: "down"}
	}
	s, lag := judge(st, signal)
	return Result{Key: tg.Key, At: now, State: s, Stamp: st, Signal: signal, Lag: lag}
}

func TestCoreSpreadsMirrors(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 4), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	for i, ms := range c.order {
		if want := t0.Add(time.Duration(i) * 15 * time.Second); !ms.slot.next.Equal(want) {
			t.Errorf("mirror %d first due %v, want %v", i, ms.slot.next.Sub(t0), want.Sub(t0))
		}
	}
	var starts []time.Duration
	for s := time.Duration(0); s < 2*time.Minute; s += time.Second {
		jobs, _ := runDue(c, t0.Add(s), func(target, time.Time) int64 { return stamp })
		for range jobs {
			starts = append(starts, s)
		}
	}
	want := []time.Duration{0, 15, 30, 45, 60, 75, 90, 105}
	if len(starts) != len(want) {
		t.Fatalf("rounds at %v, want %v s", starts, want)
	}
	for i := range want {
		if starts[i] != want[i]*time.Second {
			t.Fatalf("rounds at %v, want %v s", starts, want)
		}
	}
}

func TestCoreFastRecheckAndPropagation(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 4), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	freshAt := map[string]time.Duration{ // after the publish
		"m0.example.net": 5 * time.Second, "m1.example.net": 42 * time.Second,
		"m2.example.net": 3 * time.Minute, "m3.example.net": 2 * time.Hour,
	}
	pub := t0.Add(time.Minute)
	next := int64(pub.Unix())
	a := func(tg target, now time.Time) int64 {
		if now.Before(pub) || now.Sub(pub) < freshAt[tg.Mirror] {
			return stamp
		}
		return next
	}
	runDue(c, t0, a) // m0 checked at 0
	c.setSignal(map[string]int64{"content": next}, pub)
	rounds := map[string]int{}
	for s := time.Duration(0); s <= 2*time.Hour; s += time.Second {
		jobs, _ := runDue(c, t0.Add(s), a)
		for _, j := range jobs {
			if !t0.Add(s).Before(pub) {
				rounds[j.ms.m.Name()]++
			}
		}
	}
	if len(c.events) != 1 {
		t.Fatalf("%d events", len(c.events))
	}
	e := c.events[0].summary()
	if e.Carrying != 4 || e.Fresh != 3 {
		t.Errorf("carrying %d fresh %d", e.Carrying, e.Fresh)
	}
	for _, r := range e.Reached {
		if r.Percent > 75 {
			t.Errorf("reached %d %% with one mirror never fresh in the window", r.Percent)
		}
	}
	// Each delay is late by less than the fast interval.
	got := c.events[0].after
	wants := []time.Duration{freshAt["m0.example.net"], freshAt["m1.example.net"], freshAt["m2.example.net"]}
	for i, d := range got {
		if d < wants[i] || d >= wants[i]+c.cfg.fast {
			t.Errorf("mirror %d seen fresh after %v, fresh at %v", i, d, wants[i])
		}
	}
	// The fast rounds stop once a mirror is fresh; m3 gets them for the
	// whole window (an hour at 10 s) plus its base rounds.
	if n := rounds["m0.example.net"]; n > 60*2+5 {
		t.Errorf("m0 had %d rounds after the publish", n)
	}
	if n := rounds["m3.example.net"]; n < 360 {
		t.Errorf("m3 had only %d rounds in the fast window", n)
	}
}

func TestCoreRecheckIsOnlyAHint(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 2), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	down := func(target, time.Time) int64 { return 0 }
	runDue(c, t0, down)
	runDue(c, t0.Add(30*time.Second), down)
	if !c.recheck("m0.example.net") || c.recheck("nope.example.net") {
		t.Fatal("recheck of a known/unknown mirror")
	}
	ms := c.mirrors["m0.example.net"]
	if ms.trees[0].best.State != Unreachable {
		t.Fatalf("a check-in changed the state to %s", ms.trees[0].best.State)
	}
	jobs, _ := runDue(c, t0.Add(31*time.Second), func(target, time.Time) int64 { return stamp })
	if len(jobs) != 1 || jobs[0].ms != ms {
		t.Fatalf("check-in gave %d rounds", len(jobs))
	}
	if ms.trees[0].best.State != Fresh {
		t.Errorf("after the probe: %s", ms.trees[0].best.State)
	}
	if !ms.slot.next.Equal(t0.Add(time.Minute)) {
		t.Errorf("check-in moved the base round to %v", ms.slot.next.Sub(t0))
	}
}

func TestCoreFleetReload(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 3), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	for s := time.Duration(0); s < time.Minute; s += time.Second {
		runDue(c, t0.Add(s), func(target, time.Time) int64 { return stamp })
	}
	busy, _ := c.due(t0.Add(time.Minute), 1) // m0's round in flight
	later := t0.Add(61 * time.Second)
	f := fleet(t, `
[[mirror]]
name = "m1.example.net"
country = "DE"
[mirror.trees.content]
https = "https://m1.example.net/"
[[mirror]]
name = "new.example.net"
country = "DE"
[mirror.trees.content]
https = "https://new.example.net/"
`)
	c.setFleet(f, later)
	if len(c.order) != 2 || c.mirrors["m0.example.net"] != nil {
		t.Fatalf("mirrors after reload: %d", len(c.order))
	}
	if got := c.mirrors["m1.example.net"].trees[0].best.State; got != Fresh {
		t.Errorf("m1 lost its state: %s", got)
	}
	nw := c.mirrors["new.example.net"]
	if nw.trees[0].best.State != Unknown || !nw.slot.next.Equal(spread(later, 1, 2, time.Minute)) {
		t.Errorf("new mirror: %s due %v", nw.trees[0].best.State, nw.slot.next.Sub(later))
	}
	if ts := c.apply(busy[0], []Result{{Key: busy[0].targets[0].Key, State: Error}}, later); ts != nil || len(c.order) != 2 {
		t.Error("a removed mirror's round was applied")
	}
}

func TestCoreTransitionsOncePerChange(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 1), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	states := []int64{stamp, 0, stamp, 0, 0, 0, 0, stamp, stamp, stamp}
	var all []Transition
	for i, st := range states {
		c.recheck("m0.example.net")
		_, ts := runDue(c, t0.Add(time.Duration(i)*time.Second), func(target, time.Time) int64 { return st })
		all = append(all, ts...)
	}
	if len(all) != 2 || all[0].From != Fresh || all[0].To != Unreachable || all[1].To != Fresh {
		t.Fatalf("transitions %+v", all)
	}
	if !all[0].At.Equal(t0.Add(4*time.Second)) || all[0].Err != "down" || all[1].Signal != stamp {
		t.Errorf("transition %+v", all[0])
	}
}

func TestCoreEventsBounded(t *testing.T) {
	c := newCore(testConfig())
	c.setFleet(simpleFleet(t, 1), t0)
	c.setSignal(map[string]int64{"content": stamp}, t0)
	for i := range 5 {
		c.setSignal(map[string]int64{"content": stamp + int64(i+1)}, t0)
	}
	c.setSignal(map[string]int64{"content": stamp}, t0) // backwards: no event
	if len(c.events) != 3 || c.events[2].stamp != stamp+5 {
		t.Errorf("%d events kept", len(c.events))
	}
}
