package checker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// loop is the state of Run between turns.
type loop struct {
	inflight int
	dirty    bool // the view is out of date
	lastView time.Time
}

// Run probes until ctx ends, then waits for the rounds in flight and
// returns nil. No round starts before the first zone: until the signal is
// known, no TIME can be judged.
func (c *Checker) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	l := loop{dirty: true}
	for {
		timer.Reset(c.turn(ctx, &l))
		select {
		case <-ctx.Done():
			for ; l.inflight > 0; l.inflight-- {
				<-c.done
			}
			return nil
		case f := <-c.done:
			l.inflight--
			c.finish(f)
			l.dirty = true
		case <-c.wake:
		case <-timer.C:
		}
	}
}

// turn takes in what arrived, starts the rounds due, publishes the view
// when it is due, and returns how long to sleep.
func (c *Checker) turn(ctx context.Context, l *loop) time.Duration {
	now := c.o.Now()
	if c.intake(now) {
		l.dirty = true
	}
	var next time.Time
	if c.core.signal != nil && l.inflight < c.o.Concurrency {
		var jobs []job
		jobs, next = c.core.due(now, c.o.Concurrency-l.inflight)
		for _, j := range jobs {
			l.inflight++
			go c.round(ctx, j)
		}
		if l.inflight >= c.o.Concurrency {
			next = time.Time{} // a finished round wakes the loop
		}
	}
	wait := fleetPoll
	if !next.IsZero() {
		wait = min(wait, next.Sub(now))
	}
	if l.dirty {
		if now.Sub(l.lastView) >= viewEvery {
			c.publish(now)
			l.lastView, l.dirty = now, false
		} else {
			wait = min(wait, l.lastView.Add(viewEvery).Sub(now))
		}
	}
	return max(wait, time.Millisecond)
}

// finish applies a finished round and notifies its state changes.
func (c *Checker) finish(f finished) {
	ts := c.core.apply(f.job, f.results, c.o.Now())
	for _, t := range ts {
		c.o.Log.Info("mirror state changed", "mirror", t.Mirror, "tree", t.Tree,
			"from", t.From, "to", t.To, "lag_seconds", t.Lag.Seconds(), "err", t.Err)
	}
	if len(ts) > 0 && c.o.Notify != nil {
		c.o.Notify(ts)
	}
	for _, f := range c.core.takeFirsts() {
		if c.o.FirstFresh != nil {
			c.o.FirstFresh(f.tree, f.stamp, f.mirror, f.at)
		}
	}
}

// round runs the probes of one job at once (each bounded by the per-host
// and global limits), hands the results to the sink and the loop.
func (c *Checker) round(ctx context.Context, j job) {
	results := make([]Result, len(j.targets))
	ok := make([]bool, len(j.targets))
	var wg sync.WaitGroup
	for i, t := range j.targets {
		wg.Go(func() { results[i], ok[i] = c.probe(ctx, t, j) })
	}
	wg.Wait()
	kept := results[:0]
	for i, r := range results {
		if ok[i] {
			kept = append(kept, r)
		}
	}
	inherit(kept) // after the metrics: they count probes as each saw the mirror
	if len(kept) > 0 && c.o.Sink != nil && ctx.Err() == nil {
		if err := c.o.Sink.Record(ctx, kept); err != nil {
			c.o.Log.Error("recording probe results", "mirror", j.ms.m.Name(), "err", err)
		}
	}
	c.done <- finished{job: j, results: kept}
}

// probe runs one target; ok is false when ctx ended first. A TIME seen
// fresh over HTTP(S) is checked against the master's repomd.xml after the
// probe's slots are given back.
func (c *Checker) probe(ctx context.Context, t target, j job) (r Result, ok bool) {
	r, ok = c.probeTime(ctx, t, j)
	if !ok {
		return r, false
	}
	r = c.consistent(ctx, j.ms.m, t, r, j.signal[t.Tree])
	if ctx.Err() != nil {
		return Result{}, false
	}
	c.m.observe(r, r.At)
	return r, true
}

// probeTime fetches the TIME (and heartbeat) of one target within the
// per-host and global limits.
func (c *Checker) probeTime(ctx context.Context, t target, j job) (r Result, ok bool) {
	release, err := c.hosts.acquire(ctx, t.host)
	if err != nil {
		return Result{}, false
	}
	defer release()
	releaseSem, err := acquire(ctx, c.sem)
	if err != nil {
		return Result{}, false
	}
	defer releaseSem()
	pr := c.o.Prober.Fetch(ctx, t.url, t.fam)
	if ctx.Err() != nil || errors.Is(pr.Err, probe.ErrCanceled) {
		return Result{}, false
	}
	r = classify(t.Key, pr, j.signal[t.Tree], c.o.Now())
	if j.base && t.heartbeat != "" && pr.Class == probe.OK {
		if hb := c.o.Prober.Fetch(ctx, t.heartbeat, t.fam); hb.Class == probe.OK {
			r.Heartbeat = hb.Stamp
		}
	}
	return r, true
}
