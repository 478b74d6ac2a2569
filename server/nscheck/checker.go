package nscheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// Options are what New needs besides the Config.
type Options struct {
	Config
	// OnChange receives each round's state changes, once each, from the
	// checking goroutine; nil drops them. It should not block for long.
	OnChange   func([]Change)
	Registerer prometheus.Registerer // nil: no metrics
	Log        *slog.Logger          // nil: discard
	Now        func() time.Time      // nil: time.Now
}

// ViewSubscriber receives each new View. ViewChanged is called after
// every round, never concurrently; it must not block.
type ViewSubscriber interface {
	ViewChanged(*View)
}

// Checker asks the servers every interval and keeps their states.
type Checker struct {
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	onChange func([]Change)
	metrics  *metrics

	mu     sync.Mutex // guards served
	served *Served    // nil until the first ZoneChanged

	round    sync.Mutex // one round at a time; guards statuses
	statuses []Status
	view     atomic.Pointer[View]
	subs     []ViewSubscriber
}

// New returns a Checker of o; it asks nothing until Run or Check.
func New(o Options) (*Checker, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, fmt.Errorf("nscheck config: %w", err)
	}
	c := &Checker{cfg: o.Config.withDefaults(), now: o.Now, log: o.Log, onChange: o.OnChange}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "nscheck")
	if c.onChange == nil {
		c.onChange = func([]Change) {}
	}
	if o.Registerer != nil {
		m, err := newMetrics(o.Registerer)
		if err != nil {
			return nil, err
		}
		c.metrics = m
	}
	for _, s := range c.cfg.Servers {
		c.statuses = append(c.statuses, Status{Server: s, State: Unknown})
	}
	c.view.Store(newView(c.statuses, nil, time.Time{}))
	return c, nil
}

// ZoneChanged learns the serial and signal signald serves now. It never
// blocks on a check.
func (c *Checker) ZoneChanged(s *zone.Snapshot) {
	txt := s.Record.String()
	now := c.now()
	c.mu.Lock()
	c.served = c.served.Then(s.Serial, txt, now)
	c.mu.Unlock()
}

func (c *Checker) currentServed() *Served {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served
}

// Subscribe adds s; call it before Run.
func (c *Checker) Subscribe(s ViewSubscriber) { c.subs = append(c.subs, s) }

// View returns the states after the latest round.
func (c *Checker) View() *View { return c.view.Load() }

// Run checks at once and then every interval until ctx is done.
func (c *Checker) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if changes, err := c.Check(ctx); err != nil {
			c.log.Debug("no check", "err", err)
		} else {
			c.logChanges(changes)
		}
		t.Reset(c.cfg.Interval)
	}
}

// errNoZoneYet: there is nothing to compare the servers with.
var errNoZoneYet = errors.New("signald serves no zone yet")

// Check asks every server once, in parallel up to the bound, updates the
// states, hands the changes to OnChange, publishes the View and returns
// the changes.
func (c *Checker) Check(ctx context.Context) ([]Change, error) {
	c.round.Lock()
	defer c.round.Unlock()
	if c.currentServed() == nil {
		return nil, errNoZoneYet
	}
	obs := c.probeAll(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	served := c.currentServed() // after the queries: a zone change during them counts
	var changes []Change
	for i, prev := range c.statuses {
		next := Next(prev, obs[i], served, c.cfg.Grace)
		if ch, ok := changeOf(prev, next, served); ok {
			changes = append(changes, ch)
		}
		c.statuses[i] = next
	}
	v := newView(c.statuses, served, c.now())
	c.view.Store(v)
	c.metrics.set(v)
	for _, s := range c.subs {
		s.ViewChanged(v)
	}
	if len(changes) > 0 {
		c.onChange(changes)
	}
	return changes, nil
}

// probeAll asks every server, at most Parallel at once.
func (c *Checker) probeAll(ctx context.Context) []Observation {
	obs := make([]Observation, len(c.statuses))
	var g errgroup.Group
	g.SetLimit(c.cfg.Parallel)
	for i, s := range c.statuses {
		g.Go(func() error {
			obs[i] = c.probe(ctx, s.Server)
			return nil
		})
	}
	g.Wait()
	return obs
}

// logChanges logs each change once: flags as warnings, clears as info.
func (c *Checker) logChanges(changes []Change) {
	for _, ch := range changes {
		level := slog.LevelInfo
		if ch.Flagged() {
			level = slog.LevelWarn
		}
		c.log.Log(context.Background(), level, "name server "+string(ch.To), "server", ch.Server.String(),
			"from", ch.From, "serial", ch.Serial, "want", ch.Want, "lag_seconds", ch.Lag.Seconds(), "err", ch.Err)
	}
}
