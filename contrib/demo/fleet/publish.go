package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Publish timing.
const (
	// followEvery is how often a gating publish is asked about.
	followEvery = 200 * time.Millisecond
	// awaitEvery is how often Await reads the status.
	awaitEvery = 250 * time.Millisecond
)

// Publish writes a new release on the master, asks signald's admin API
// to publish the tree now, and follows the publish until it ends: the
// publisher plants the TIME file on the master, the tier-1 feeds sync,
// the gate sees every tier-1 host serve it, and the signal moves. show,
// when not nil, gets each new state of the publish. It returns the
// committed publish.
func (f *Fleet) Publish(ctx context.Context, show func(apiv1.Publish)) (apiv1.Publish, error) {
	f.mu.Lock()
	f.release++
	n := f.release
	f.mu.Unlock()
	if err := writeRelease(f.master.Dir, n, f.o.Files, f.o.FileSize); err != nil {
		return apiv1.Publish{}, err
	}
	if show == nil {
		show = func(apiv1.Publish) {}
	}
	p, err := f.admin.Publish(ctx, apiv1.PublishRequest{Tree: tree})
	if err != nil {
		return p, err
	}
	if p, err = f.admin.Follow(ctx, p, followEvery, show); err != nil {
		return p, err
	}
	if p.Unchanged || p.State != "committed" {
		return p, fmt.Errorf("publish %d of %s at %d: %s (unchanged %v): %s", p.ID, p.Tree, p.Stamp, p.State, p.Unchanged, p.Reason)
	}
	f.o.Log.Info("published", "release", n, "stamp", p.Stamp, "serial", p.Serial)
	return p, nil
}

// ErrNotFresh is Await's error when the deadline passed first.
var ErrNotFresh = errors.New("not every mirror was seen fresh in time")

// Await reads signald's status every 250 ms until the event of stamp
// counts every mirror carrying the tree fresh, or until limit has passed
// (or ctx ends). progress, when not nil, gets each snapshot read. It
// returns the event as last seen; on ErrNotFresh the error names the
// mirrors not seen fresh.
func (f *Fleet) Await(ctx context.Context, stamp int64, limit time.Duration, progress func(*status.Snapshot)) (status.Event, error) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(awaitEvery)
	defer tick.Stop()
	var ev status.Event
	for {
		snap := f.Status()
		if progress != nil {
			progress(snap)
		}
		if e, ok := EventOf(snap, stamp); ok {
			ev = e
			if e.Carrying > 0 && e.Fresh >= e.Carrying {
				return e, nil
			}
		}
		select {
		case <-ctx.Done():
			return ev, ctx.Err()
		case <-deadline.C:
			return ev, fmt.Errorf("%w: after %s, %d of %d fresh; not fresh: %v", ErrNotFresh, limit, ev.Fresh, ev.Carrying, notFresh(f.Status()))
		case <-tick.C:
		}
	}
}

// EventOf finds the event of the tree's publish of stamp in snap.
func EventOf(snap *status.Snapshot, stamp int64) (status.Event, bool) {
	for _, e := range snap.Events {
		if e.Tree == tree && e.Stamp == stamp {
			return e, true
		}
	}
	return status.Event{}, false
}

// notFresh names the mirrors whose state for the tree is not fresh, with
// their state.
func notFresh(snap *status.Snapshot) []string {
	var out []string
	for _, m := range snap.Mirrors {
		for _, t := range m.Trees {
			if t.Tree == tree && t.State != status.Fresh {
				out = append(out, fmt.Sprintf("%s (%s %s)", m.Name, t.State, t.Err))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Fresh counts, from the checker's view in snap, the tier-1 hosts and
// mirrors whose state for the tree is fresh for stamp (their TIME at
// least stamp), and how many there are.
func Fresh(snap *status.Snapshot, stamp int64) (tier1, tier1Total, mirrors, mirrorsTotal int) {
	for _, m := range snap.Mirrors {
		for _, t := range m.Trees {
			if t.Tree != tree {
				continue
			}
			fresh := t.State == status.Fresh && t.Stamp >= stamp
			if m.Tier == 1 {
				tier1Total++
				if fresh {
					tier1++
				}
				continue
			}
			mirrorsTotal++
			if fresh {
				mirrors++
			}
		}
	}
	return tier1, tier1Total, mirrors, mirrorsTotal
}
