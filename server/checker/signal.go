package checker

import (
	"maps"
	"time"
)

// setSignal adopts the stamps of a new zone. The first zone only sets
// them. After that, each tree whose stamp moved forward is a publish: it
// opens an event, judges every mirror's last TIME of the tree against the
// new stamp, and schedules fast re-checks of the mirrors carrying it,
// spread over one fast interval. It returns the (tree, stamp) pairs whose
// earlier first-fresh times the caller may restore: the publishes, and
// every published tree of the first zone.
func (c *core) setSignal(stamps map[string]int64, now time.Time) []eventKey {
	old := c.signal
	c.signal = maps.Clone(stamps)
	var out []eventKey
	if old == nil {
		c.respread(now)
		for tree, s := range stamps {
			if s > 0 {
				out = append(out, eventKey{tree, s})
			}
		}
		return out
	}
	for tree, s := range stamps {
		if s > old[tree] {
			c.publish(tree, s, now)
			out = append(out, eventKey{tree, s})
		}
	}
	return out
}

// publish handles tree moving to stamp at now.
func (c *core) publish(tree string, stamp int64, now time.Time) {
	c.learned[tree] = now
	var carrying []*mirrorState
	for _, ms := range c.order {
		if ts := ms.tree(tree); ts != nil {
			carrying = append(carrying, ms)
			ts.rejudge(stamp)
		}
	}
	for i, ms := range carrying {
		ms.slot.fast = earlier(ms.slot.fast, spread(now, i, len(carrying), c.cfg.fast))
	}
	c.openEvent(tree, stamp, now, len(carrying))
}

// openEvent adds the event of tree's publish of stamp, learned at now,
// dropping the oldest beyond the limit.
func (c *core) openEvent(tree string, stamp int64, now time.Time, carrying int) *event {
	e := &event{tree: tree, stamp: stamp, published: time.Unix(stamp, 0), learned: now, carrying: carrying}
	c.events = append(c.events, e)
	if n := len(c.events) - c.cfg.events; n > 0 {
		c.events = append(c.events[:0:0], c.events[n:]...)
	}
	return e
}

// rejudge judges the last results of ts against a new signal.
func (ts *treeState) rejudge(signal int64) {
	rs := make([]Result, len(ts.probes))
	for i, r := range ts.probes {
		rs[i] = rejudge(r, signal)
	}
	ts.probes = rs
	ts.best = bestOrUnknown(rs)
}

// respread starts the schedule afresh at now, mirror i of n at
// interval·i/n: no round runs before the first signal.
func (c *core) respread(now time.Time) {
	for i, ms := range c.order {
		ms.slot.next = spread(now, i, len(c.order), c.cfg.interval)
	}
}
