package publish

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// outcomes returns mirrorsignal_publishes_total by outcome.
func (r *liveRig) outcomes(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "mirrorsignal_publishes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestOutcomesAreCounted: each publish that ends is counted once, by how it
// ended.
func TestOutcomesAreCounted(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3[:1]}, Gate{Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	stamp := time.Now().Unix() - 100

	timedOut, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	if s := waitEnd(t, r.p, timedOut.ID); s.State != store.TimedOut {
		t.Fatalf("publish ended %s, want timed out", s.State)
	}
	r.fetch.set(hosts3[0].URL, stamp)
	committed, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	if s := waitEnd(t, r.p, committed.ID); s.State != store.Committed {
		t.Fatalf("publish ended %s, want committed", s.State)
	}
	r.planter.mu.Lock()
	r.planter.fail = errors.New("read-only file system")
	r.planter.mu.Unlock()
	failed, _ := r.p.Start(ctx, Request{Tree: "vault", Stamp: stamp})
	if s := waitEnd(t, r.p, failed.ID); s.State != store.Failed {
		t.Fatalf("publish ended %s, want failed", s.State)
	}
	// The store shows the end before the worker counts it: wait a little.
	want := map[string]float64{store.TimedOut: 1, store.Committed: 1, store.Failed: 1}
	var got map[string]float64
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = r.outcomes(t); maps.Equal(got, want) {
			return
		}
	}
	t.Fatalf("publishes_total %v, want %v", got, want)
}

// TestRepublishingTheCurrentStamp: with nothing pending, asking for the
// stamp the tree has records nothing; with a newer publish pending, it is
// a new publish that supersedes the pending one (not a backwards request)
// and commits.
func TestRepublishingTheCurrentStamp(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3[:1]}, Gate{Interval: 20 * time.Millisecond, Timeout: time.Minute})
	ctx := context.Background()
	stamp := time.Now().Unix() - 100
	r.fetch.set(hosts3[0].URL, stamp)
	first, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	if s := waitEnd(t, r.p, first.ID); s.State != store.Committed {
		t.Fatalf("first publish ended %s", s.State)
	}
	before, _ := r.st.State(ctx)

	again, err := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	if err != nil || !again.Unchanged {
		t.Fatalf("same stamp, nothing pending: %+v %v; want unchanged", again, err)
	}
	if after, _ := r.st.State(ctx); after.Serial != before.Serial {
		t.Fatalf("serial %d -> %d for an unchanged stamp", before.Serial, after.Serial)
	}
	if list, _ := r.p.List(ctx, 10); len(list) != 1 {
		t.Fatalf("%d publishes recorded, want only the first", len(list))
	}

	newer, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp + 1})
	waitGating(t, r.p, newer.ID)
	back, err := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	if err != nil || back.Unchanged {
		t.Fatalf("current stamp with a newer publish pending: %+v %v; want a new publish", back, err)
	}
	if s := waitEnd(t, r.p, newer.ID); s.State != store.Cancelled {
		t.Fatalf("the pending newer publish ended %s, want superseded", s.State)
	}
	if s := waitEnd(t, r.p, back.ID); s.State != store.Committed {
		t.Fatalf("republish ended %s: %s", s.State, s.Reason)
	}
}
