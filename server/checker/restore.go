package checker

import (
	"time"
)

// eventKey names a publish: a tree and its new stamp.
type eventKey struct {
	tree  string
	stamp int64
}

// firstFresh is a mirror first counted fresh for a publish.
type firstFresh struct {
	tree   string
	stamp  int64
	mirror string
	at     time.Time
}

// restore counts, for the publish k, the mirrors in times as first fresh
// at their times: those of an earlier run, and tier-1 hosts the
// publisher's gate saw before the signal moved. Without an event for k
// (the first zone after a start) it opens one, learned at now, when times
// names a mirror carrying the tree; it schedules no fast re-checks. A
// mirror counted already, gone from the fleet, or not carrying the tree
// is skipped; a mirror counted for k is counted at the same time for the
// older events of the tree it was not counted for, as a probe would.
func (c *core) restore(k eventKey, times map[string]time.Time, now time.Time) {
	var carrying []*mirrorState
	for _, ms := range c.order {
		if ms.tree(k.tree) != nil {
			carrying = append(carrying, ms)
		}
	}
	if c.event(k) == nil {
		if !c.anyOf(carrying, times) {
			return
		}
		c.openEvent(k.tree, k.stamp, now, len(carrying))
	}
	for _, ms := range carrying {
		if at, ok := times[ms.m.Name()]; ok {
			c.creditUpTo(ms, ms.tree(k.tree), k.stamp, at)
		}
	}
}

// event returns the event of k, or nil.
func (c *core) event(k eventKey) *event {
	for _, e := range c.events {
		if e.tree == k.tree && e.stamp == k.stamp {
			return e
		}
	}
	return nil
}

func (c *core) anyOf(ms []*mirrorState, times map[string]time.Time) bool {
	for _, m := range ms {
		if _, ok := times[m.m.Name()]; ok {
			return true
		}
	}
	return false
}

// takeFirsts returns the credits queued since the last call.
func (c *core) takeFirsts() []firstFresh {
	out := c.firsts
	c.firsts = nil
	return out
}
