package checker

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Checker probes the fleet on its schedule. Run is its loop, which alone
// owns the core; SignalChanged, Recheck, Subscribe and View are safe from
// any goroutine and never block on probes.
type Checker struct {
	o      Options
	m      *metrics
	core   *core
	view   atomic.Pointer[View]
	wake   chan struct{}
	done   chan finished
	sem    chan struct{}
	hosts  *hostLimit
	master *masterVersions // the master's repomd.xml versions

	mu       sync.Mutex
	zones    []map[string]int64 // stamps of zones not taken in yet
	rechecks map[string]bool
	subs     []ViewSubscriber
}

// ViewSubscriber receives every new View, from the checker's loop, at
// most one every two seconds; it must not block.
type ViewSubscriber interface {
	ViewChanged(*View)
}

// ViewFunc adapts a function to a ViewSubscriber.
type ViewFunc func(*View)

// ViewChanged calls f(v).
func (f ViewFunc) ViewChanged(v *View) { f(v) }

// finished is a round that ended, with its results (canceled probes left
// out).
type finished struct {
	job     job
	results []Result
}

// New checks o and builds a Checker with the fleet of o.Fleet.
func New(o Options) (*Checker, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Checker{o: o, m: m, core: newCore(o.config()), wake: make(chan struct{}, 1),
		done: make(chan finished, o.Concurrency), sem: make(chan struct{}, o.Concurrency),
		hosts: newHostLimit(o.PerHost), master: newMasterVersions(o.RepomdHistory), rechecks: map[string]bool{}}
	now := o.Now()
	c.core.setFleet(o.Fleet(), now)
	c.view.Store(c.core.view(now))
	return c, nil
}

// View returns the latest view.
func (c *Checker) View() *View { return c.view.Load() }

// Subscribe adds s; call it before Run.
func (c *Checker) Subscribe(s ViewSubscriber) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, s)
}

// SignalChanged takes the signal record of each new zone: a tree whose
// stamp moved forward is a publish. It does not block. The root wires it
// as zone.SubscriberFunc(func(s *zone.Snapshot) { c.SignalChanged(s.Record) }):
// the checker cannot import zone, which imports the store, which imports
// the checker.
func (c *Checker) SignalChanged(rec signal.Record) {
	stamps := make(map[string]int64, len(rec.Layout))
	for i, tree := range rec.Layout {
		if i < len(rec.Stamps) {
			stamps[tree] = rec.Stamps[i]
		}
	}
	c.mu.Lock()
	c.zones = append(c.zones, stamps)
	c.mu.Unlock()
	c.poke()
}

// Recheck asks for a round of the mirror called name as soon as a slot is
// free: a check-in is a hint, and only that probe can make the mirror
// fresh. It reports whether the fleet has such a mirror.
func (c *Checker) Recheck(name string) bool {
	if _, ok := c.o.Fleet().Mirror(name); !ok {
		return false
	}
	c.mu.Lock()
	c.rechecks[name] = true
	c.mu.Unlock()
	c.poke()
	return true
}

func (c *Checker) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// intake hands the core what arrived since the last turn: a reloaded
// fleet, new zones, check-ins. It reports whether anything did.
func (c *Checker) intake(now time.Time) bool {
	fleet := c.o.Fleet()
	changed := fleet != c.core.fleet
	c.core.setFleet(fleet, now)
	c.mu.Lock()
	zones, rechecks := c.zones, c.rechecks
	c.zones, c.rechecks = nil, map[string]bool{}
	c.mu.Unlock()
	for _, z := range zones {
		for _, k := range c.core.setSignal(z, now) {
			if c.o.Restore != nil {
				c.core.restore(k, c.o.Restore(k.tree, k.stamp), now)
			}
		}
	}
	for name := range rechecks {
		c.core.recheck(name)
	}
	return changed || len(zones) > 0 || len(rechecks) > 0
}

// publish builds, stores and hands out a new view.
func (c *Checker) publish(now time.Time) {
	v := c.core.view(now)
	c.view.Store(v)
	c.m.update(v, c.core.plannedPerMinute())
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	for _, s := range subs {
		s.ViewChanged(v)
	}
}
