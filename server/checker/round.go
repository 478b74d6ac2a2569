package checker

import (
	"time"
)

// job is one round of probes of one mirror.
type job struct {
	ms      *mirrorState
	targets []target
	signal  map[string]int64 // tree → stamp when dispatched
	base    bool             // a base round (heartbeats too), not a fast one
}

// due pops the rounds due at now, at most limit, marking them busy, and
// returns when the next one is due (zero: none).
func (c *core) due(now time.Time, limit int) ([]job, time.Time) {
	var jobs []job
	var next time.Time
	for _, ms := range c.order {
		k, at := ms.slot.due(now)
		if k != notDue && len(jobs) >= limit {
			next = now
			continue
		}
		switch k {
		case notDue:
			next = earlier(next, at)
			continue
		case fastOnly:
			if j, ok := c.fastJob(ms, now); ok {
				jobs = append(jobs, j)
			} else {
				next = earlier(next, ms.slot.next)
			}
			continue
		}
		jobs = append(jobs, c.baseJob(ms, now))
	}
	return jobs, next
}

func (c *core) baseJob(ms *mirrorState, now time.Time) job {
	if !ms.slot.next.After(now) {
		ms.slot.next = advance(ms.slot.next, now, c.cfg.interval)
	}
	ms.slot.asap, ms.slot.fast, ms.slot.busy = false, time.Time{}, true
	j := job{ms: ms, signal: c.signal, base: true}
	for _, ts := range ms.trees {
		j.targets = append(j.targets, ts.targets...)
	}
	return j
}

// fastJob is the round of the trees of ms still in their fast window; ok
// is false (and the fast re-checks end) when there are none.
func (c *core) fastJob(ms *mirrorState, now time.Time) (job, bool) {
	ms.slot.fast = time.Time{}
	j := job{ms: ms, signal: c.signal}
	for _, ts := range ms.trees {
		if c.wantsFast(ts, now) {
			j.targets = append(j.targets, ts.targets...)
		}
	}
	if len(j.targets) == 0 {
		return job{}, false
	}
	ms.slot.busy = true
	return j, true
}

func (c *core) wantsFast(ts *treeState, now time.Time) bool {
	return fastWanted(c.learned[ts.tree], now, c.cfg.window, ts.best.State)
}

// apply takes the results of a round finished at now and returns the
// notified state changes. Results of a mirror removed meanwhile are
// dropped.
func (c *core) apply(j job, results []Result, now time.Time) []Transition {
	ms := j.ms
	ms.slot.busy = false
	if c.mirrors[ms.m.Name()] != ms {
		return nil
	}
	var out []Transition
	for _, ts := range ms.trees {
		rs := c.ofTree(ts, results)
		if len(rs) == 0 {
			continue
		}
		if t, ok := c.observe(ms, ts, rs); ok {
			out = append(out, t)
		}
	}
	c.scheduleFast(ms, now)
	return out
}

// ofTree picks the results of ts's current targets, judged against the
// current signal (it may have moved while the probes ran).
func (c *core) ofTree(ts *treeState, results []Result) []Result {
	var rs []Result
	for _, r := range keep(results, ts.targets) {
		if r.Tree == ts.tree {
			rs = append(rs, rejudge(r, c.signal[ts.tree]))
		}
	}
	return rs
}

// observe records one round's results of a tree: the last result per key,
// the best of them, the notified state and the propagation.
func (c *core) observe(ms *mirrorState, ts *treeState, rs []Result) (Transition, bool) {
	ts.probes = rs
	ts.best = best(rs)
	c.credit(ms, ts)
	var from State
	var changed bool
	ts.hyst, from, changed = ts.hyst.step(ts.best.State, c.cfg.hysteresis)
	if !changed {
		return Transition{}, false
	}
	b := ts.best
	return Transition{Mirror: ms.m.Name(), Tree: ts.tree, From: from, To: b.State, At: b.At,
		Lag: b.Lag, Err: b.Err, Signal: b.Signal}, true
}

// credit counts the mirror fresh for every event of the tree that its
// best TIME covers and that it was not counted for yet, at the probe's
// time; only events learned while it was in the fleet count it. Each
// count is queued for Options.FirstFresh.
func (c *core) credit(ms *mirrorState, ts *treeState) {
	b := ts.best
	if b.State != Fresh {
		return
	}
	for _, e := range c.creditUpTo(ms, ts, b.Stamp, b.At) {
		c.firsts = append(c.firsts, firstFresh{tree: ts.tree, stamp: e.stamp, mirror: ms.m.Name(), at: b.At})
	}
}

// creditUpTo counts the mirror fresh at at for every event of the tree
// up to stamp it was not counted for yet, and returns those events.
func (c *core) creditUpTo(ms *mirrorState, ts *treeState, stamp int64, at time.Time) []*event {
	var out []*event
	for _, e := range c.events {
		if e.tree != ts.tree || e.stamp <= ts.credited || e.stamp > stamp || e.learned.Before(ms.added) {
			continue
		}
		e.credit(at)
		ts.credited = e.stamp
		out = append(out, e)
	}
	return out
}

// scheduleFast sets the next fast round of ms, if a tree still wants one.
func (c *core) scheduleFast(ms *mirrorState, now time.Time) {
	ms.slot.fast = time.Time{}
	for _, ts := range ms.trees {
		if c.wantsFast(ts, now) {
			ms.slot.fast = now.Add(c.cfg.fast)
			return
		}
	}
}
