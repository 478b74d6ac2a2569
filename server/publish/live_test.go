package publish

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// countingFetcher is a fakeFetcher that counts its probes.
type countingFetcher struct {
	fakeFetcher
	probes atomic.Int64
}

func (f *countingFetcher) Fetch(ctx context.Context, url string) (int64, error) {
	f.probes.Add(1)
	return f.fakeFetcher.Fetch(ctx, url)
}

// resumeSignal is the store of a liveRig: it tells when Run has listed
// the publishes to resume, so a test starts none before (Run would resume
// it and also take it from the queue).
type resumeSignal struct {
	*store.Store
	once   sync.Once
	listed chan struct{}
}

func (s *resumeSignal) ListPublishes(ctx context.Context, limit int, pending bool) ([]store.Publish, error) {
	defer func() {
		if pending {
			s.once.Do(func() { close(s.listed) })
		}
	}()
	return s.Store.ListPublishes(ctx, limit, pending)
}

// liveRig is a running Publisher with the trees and gate a test gives.
type liveRig struct {
	p       *Publisher
	st      *store.Store
	fetch   *countingFetcher
	planter *memPlanter
	reg     *prometheus.Registry
}

// newLiveRig starts a Publisher on a fresh store. trees.masters, when nil,
// is one memPlanter; gate.Fetch is the rig's fetcher.
func newLiveRig(t *testing.T, trees fakeTrees, gate Gate) *liveRig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &liveRig{st: st, fetch: &countingFetcher{fakeFetcher: fakeFetcher{stamps: map[string]int64{}}},
		planter: &memPlanter{files: map[string]string{}}, reg: prometheus.NewRegistry()}
	if trees.masters == nil {
		trees.masters = []Planter{r.planter}
	}
	if trees.need == nil {
		trees.need = all
	}
	gate.Fetch = r.fetch
	rs := &resumeSignal{Store: st, listed: make(chan struct{})}
	r.p, err = New(Options{Store: rs, Layout: signal.Layout{"content", "vault"}, MaxFuture: time.Minute, Now: time.Now,
		Commit: func(store.State) {}, Trees: trees, Gate: gate,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: r.reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-rs.listed
	return r
}

// working reports whether publish id still has a worker.
func (r *liveRig) working(id int64) bool {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	_, ok := r.p.running[id]
	return ok
}

// workerEnds fails unless the worker of publish id ends within d.
func (r *liveRig) workerEnds(t *testing.T, id int64, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); r.working(id); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker of publish %d still runs after %s", id, d)
		}
	}
}

// waitGating waits until publish id gates and its first probe round is in
// its live view.
func waitGating(t *testing.T, p *Publisher, id int64) Status {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s, err := p.Status(context.Background(), id)
		if err == nil && s.State == store.Gating && s.Total > 0 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %d never showed a probe round (%+v, %v)", id, s, err)
		}
	}
}

// TestStatusShowsTheGate: while a publish gates, its status has the quorum,
// the hosts still awaited (sorted) and why each of them is not there yet;
// a host serving a newer stamp counts as seen.
func TestStatusShowsTheGate(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3}, Gate{Interval: 20 * time.Millisecond, Timeout: time.Minute})
	stamp := time.Now().Unix() - 10
	r.fetch.set("https://t1a/TIME", stamp+1)
	r.fetch.set("https://t1b/TIME", stamp-60)
	s, err := r.p.Start(context.Background(), Request{Tree: "content", Stamp: stamp})
	if err != nil {
		t.Fatal(err)
	}
	s = waitGating(t, r.p, s.ID)
	if s.Need != 3 || s.Total != 3 || !slices.Equal(s.Awaited, []string{"t1b", "t1c"}) {
		t.Fatalf("live view need %d of %d, awaited %v; want 3 of 3, awaiting t1b and t1c", s.Need, s.Total, s.Awaited)
	}
	if len(s.Errors) != 2 || s.Errors["t1b"] == "" || s.Errors["t1c"] == "" {
		t.Fatalf("errors %v, want one for each awaited host", s.Errors)
	}
}

// TestCancelStopsTheWorkerAtOnce: with an hour between probe rounds, a
// cancelled or superseded publish stops gating at once, not at its next
// round.
func TestCancelStopsTheWorkerAtOnce(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3}, Gate{Interval: time.Hour, Timeout: time.Hour})
	ctx := context.Background()
	stamp := time.Now().Unix() - 100
	a, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	waitGating(t, r.p, a.ID)
	if err := r.p.Cancel(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	r.workerEnds(t, a.ID, 2*time.Second)

	b, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	waitGating(t, r.p, b.ID)
	if _, err := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp + 1}); err != nil {
		t.Fatal(err)
	}
	r.workerEnds(t, b.ID, 2*time.Second)
	if s, _ := r.p.Status(ctx, b.ID); s.State != store.Cancelled {
		t.Fatalf("superseded publish is %s", s.State)
	}
}

// TestPublishEndedElsewhereStopsGating: a publish ended in the store by
// someone else than this publisher (no cancel reaches its worker) is no
// longer probed after the next round.
func TestPublishEndedElsewhereStopsGating(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3}, Gate{Interval: 20 * time.Millisecond, Timeout: time.Hour})
	ctx := context.Background()
	s, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: time.Now().Unix() - 100})
	waitGating(t, r.p, s.ID)
	if err := r.st.Advance(ctx, s.ID, store.Cancelled, "cancelled by another signald", time.Now()); err != nil {
		t.Fatal(err)
	}
	r.workerEnds(t, s.ID, 2*time.Second)
	probes := r.fetch.probes.Load()
	time.Sleep(100 * time.Millisecond)
	if n := r.fetch.probes.Load(); n != probes {
		t.Fatalf("%d more probes after the publish ended", n-probes)
	}
}

// TestTreeWithoutTier1CommitsWithoutGate: a tree with masters but no
// tier-1 hosts commits once planted; it never gates (no deadline).
func TestTreeWithoutTier1CommitsWithoutGate(t *testing.T) {
	r := newLiveRig(t, fakeTrees{}, Gate{Interval: 20 * time.Millisecond, Timeout: time.Minute})
	stamp := time.Now().Unix() - 10
	s, err := r.p.Start(context.Background(), Request{Tree: "vault", Stamp: stamp})
	if err != nil || s.State == store.Committed {
		t.Fatalf("start: %+v %v; want a publish that plants first", s, err)
	}
	s = waitEnd(t, r.p, s.ID)
	if s.State != store.Committed || !s.Deadline.IsZero() || len(s.Hosts) != 0 {
		t.Fatalf("ended %s with deadline %v and hosts %v; want committed, never gated", s.State, s.Deadline, s.Hosts)
	}
	if r.planter.files["TIME"] != string(signal.FormatTimeFile(stamp)) {
		t.Fatalf("planted %q", r.planter.files["TIME"])
	}
}

// TestZeroGateUsesDefaults: a Gate with no interval and no timeout probes
// every 10 s for 30 min: it neither spins nor times out at once.
func TestZeroGateUsesDefaults(t *testing.T) {
	r := newLiveRig(t, fakeTrees{hosts: hosts3}, Gate{})
	s, _ := r.p.Start(context.Background(), Request{Tree: "content", Stamp: time.Now().Unix() - 10})
	waitGating(t, r.p, s.ID)
	time.Sleep(200 * time.Millisecond)
	if n := r.fetch.probes.Load(); n != int64(len(hosts3)) {
		t.Fatalf("%d probes in 200ms, want one round of %d", n, len(hosts3))
	}
	if s, _ = r.p.Status(context.Background(), s.ID); s.State != store.Gating {
		t.Fatalf("publish %s, want still gating", s.State)
	}
}
