package checker

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// config is what the core needs to know, defaults applied.
type config struct {
	interval, fast, window time.Duration
	hysteresis, events     int
	timeFile, heartbeat    string
}

// core is the checker's pure state: the fleet's schedule, the last result
// per probe key, the notified states and the publish events. Its methods
// take the time as an argument and do no I/O; it is not safe for
// concurrent use (the runner's loop owns it).
type core struct {
	cfg     config
	fleet   *mirrors.Fleet
	order   []*mirrorState // fleet order
	mirrors map[string]*mirrorState
	signal  map[string]int64     // tree → stamp; nil before the first zone
	learned map[string]time.Time // tree → when its current stamp was learned
	events  []*event             // oldest first
	firsts  []firstFresh         // credits not yet handed to Options.FirstFresh
}

// mirrorState is what the core keeps per mirror: about 200 bytes plus,
// per tree, one Result per protocol and family.
type mirrorState struct {
	m     mirrors.Mirror
	slot  slot
	added time.Time
	trees []*treeState // in the mirror's tree order
}

// treeState is one mirror and tree.
type treeState struct {
	tree     string
	targets  []target
	probes   []Result // the last result per target; replaced, never changed in place
	best     Result   // the best of probes
	hyst     hyst
	credited int64 // the newest event stamp this mirror was counted fresh for
}

func newCore(cfg config) *core {
	return &core{cfg: cfg, mirrors: map[string]*mirrorState{}, learned: map[string]time.Time{}}
}

// tree returns the state of tree on ms, or nil.
func (ms *mirrorState) tree(name string) *treeState {
	for _, ts := range ms.trees {
		if ts.tree == name {
			return ts
		}
	}
	return nil
}

// setFleet adopts a new fleet: mirrors that remain keep their state (and
// the state of the trees they still carry), removed ones are dropped and
// new ones are scheduled, spread over the interval by their position.
func (c *core) setFleet(f *mirrors.Fleet, now time.Time) {
	if f == c.fleet {
		return
	}
	c.fleet = f
	ms := f.Mirrors()
	c.order = make([]*mirrorState, len(ms))
	next := make(map[string]*mirrorState, len(ms))
	for i, m := range ms {
		st := c.mirrors[m.Name()]
		if st == nil {
			st = &mirrorState{added: now, slot: slot{next: spread(now, i, len(ms), c.cfg.interval)}}
		}
		st.m = m
		st.trees = c.treesOf(m, st)
		c.order[i] = st
		next[m.Name()] = st
	}
	c.mirrors = next
}

// treesOf builds the tree states of m, keeping those of st for the trees
// it still carries and the results of the probe keys that remain.
func (c *core) treesOf(m mirrors.Mirror, st *mirrorState) []*treeState {
	var out []*treeState
	for _, tree := range m.Trees() {
		ts := st.tree(tree)
		if ts == nil {
			ts = &treeState{tree: tree, best: Result{State: Unknown}}
		}
		ts.targets = targets(m, tree, c.cfg.timeFile, c.cfg.heartbeat)
		ts.probes = keep(ts.probes, ts.targets)
		ts.best = bestOrUnknown(ts.probes)
		out = append(out, ts)
	}
	return out
}

// keep returns the results whose key is among targets.
func keep(rs []Result, ts []target) []Result {
	var out []Result
	for _, r := range rs {
		for _, t := range ts {
			if t.Key == r.Key {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func bestOrUnknown(rs []Result) Result {
	b := best(rs)
	if len(rs) == 0 {
		b.State = Unknown
	}
	return b
}

// recheck asks for a round of name now (a check-in: a hint, never a
// verdict). It reports whether the mirror is known.
func (c *core) recheck(name string) bool {
	st := c.mirrors[name]
	if st == nil {
		return false
	}
	st.slot.asap = true
	return true
}

// plannedPerMinute is the probes per minute of the base schedule.
func (c *core) plannedPerMinute() float64 {
	n := 0
	for _, ms := range c.order {
		for _, ts := range ms.trees {
			n += len(ts.targets)
		}
	}
	return float64(n) * float64(time.Minute) / float64(c.cfg.interval)
}
