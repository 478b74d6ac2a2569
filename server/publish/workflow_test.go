package publish

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// fakeFetcher serves a TIME (or an error) per URL.
type fakeFetcher struct {
	mu     sync.Mutex
	stamps map[string]int64
}

func (f *fakeFetcher) set(url string, v int64) {
	f.mu.Lock()
	f.stamps[url] = v
	f.mu.Unlock()
}

func (f *fakeFetcher) Fetch(_ context.Context, url string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.stamps[url]
	if !ok {
		return 0, errors.New("connection refused")
	}
	return v, nil
}

// memPlanter records what was planted.
type memPlanter struct {
	mu    sync.Mutex
	files map[string]string
	fail  error
}

func (m *memPlanter) Plant(_ context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.files[name] = string(data)
	return nil
}

func (m *memPlanter) String() string { return "mem" }

type fakeTrees struct {
	masters []Planter
	hosts   []Host
	need    func(total int) int
}

func (t fakeTrees) Masters(string) []Planter { return t.masters }
func (t fakeTrees) Tier1(string) []Host      { return t.hosts }
func (t fakeTrees) Need(_ string, n int) int { return t.need(n) }

func majority(n int) int { return n/2 + 1 }
func all(n int) int      { return n }

type rig struct {
	p       *Publisher
	st      *store.Store
	fetch   *fakeFetcher
	planter *memPlanter
	commits chan store.State
	cancel  context.CancelFunc
	done    chan struct{}
}

var hosts3 = []Host{{"t1a", "https://t1a/TIME"}, {"t1b", "https://t1b/TIME"}, {"t1c", "rsync://t1c/m/TIME"}}

func newRig(t *testing.T, st *store.Store, need func(int) int, timeout time.Duration) *rig {
	t.Helper()
	if st == nil {
		var err error
		st, err = store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	r := &rig{st: st, fetch: &fakeFetcher{stamps: map[string]int64{}}, planter: &memPlanter{files: map[string]string{}},
		commits: make(chan store.State, 16), done: make(chan struct{})}
	p, err := New(Options{Store: st, Layout: signal.Layout{"content", "vault"}, MaxFuture: time.Minute, Now: time.Now,
		Commit: func(s store.State) { r.commits <- s },
		Trees:  fakeTrees{masters: []Planter{r.planter}, hosts: hosts3, need: need},
		Gate:   Gate{Interval: 20 * time.Millisecond, Timeout: timeout, Fetch: r.fetch},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { p.Run(ctx); close(r.done) }()
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.cancel()
	<-r.done
}

func waitEnd(t *testing.T, p *Publisher, id int64) Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := p.Wait(ctx, id)
	if err != nil {
		t.Fatalf("publish %d did not end: %v (%+v)", id, err, s)
	}
	return s
}

// TestGateMajority: two of three tier-1 hosts serve the stamp, one lags:
// majority commits, the TIME was planted first, and the publish records
// when each fresh host was seen.
func TestGateMajority(t *testing.T) {
	r := newRig(t, nil, majority, time.Minute)
	stamp := time.Now().Unix() - 10
	r.fetch.set("https://t1a/TIME", stamp)
	r.fetch.set("https://t1b/TIME", stamp+5)
	r.fetch.set("rsync://t1c/m/TIME", stamp-3600)
	s, err := r.p.Start(context.Background(), Request{Tree: "content", Stamp: stamp})
	if err != nil || !store.Pending(s.State) { // the worker may have moved it on already
		t.Fatalf("start: %+v %v", s, err)
	}
	s = waitEnd(t, r.p, s.ID)
	if s.State != store.Committed || s.Record.String() != strings.Join([]string{itoa(stamp), "0"}, ":") {
		t.Fatalf("ended %+v", s)
	}
	if got := r.planter.files["TIME"]; got != string(signal.FormatTimeFile(stamp)) {
		t.Fatalf("planted %q", got)
	}
	if len(s.Hosts) != 2 || s.Hosts[0].Host == "t1c" || s.Hosts[1].Host == "t1c" {
		t.Fatalf("hosts seen %+v", s.Hosts)
	}
	if st := <-r.commits; st.Stamps["content"] != stamp {
		t.Fatalf("commit handed %v", st.Stamps)
	}
}

// TestGateAllTimesOut: with quorum all and one host lagging, the publish
// times out with a reason naming the host, and nothing is committed.
func TestGateAllTimesOut(t *testing.T) {
	r := newRig(t, nil, all, 300*time.Millisecond)
	stamp := time.Now().Unix() - 10
	r.fetch.set("https://t1a/TIME", stamp)
	r.fetch.set("https://t1b/TIME", stamp)
	s, _ := r.p.Start(context.Background(), Request{Tree: "content", Stamp: stamp})
	s = waitEnd(t, r.p, s.ID)
	if s.State != store.TimedOut || !strings.Contains(s.Reason, "t1c (connection refused)") || !strings.Contains(s.Reason, "2 of 3") {
		t.Fatalf("ended %s: %s", s.State, s.Reason)
	}
	if st, _ := r.st.State(context.Background()); st.Stamps["content"] != 0 || len(r.commits) != 0 {
		t.Fatalf("a timed-out publish committed: %v", st.Stamps)
	}
	if _, err := s.Result(); !errors.Is(err, ErrNotCommitted) {
		t.Fatalf("Result = %v", err)
	}
}

// TestCancelAndSupersede: a gating publish is cancelled by the operator;
// another is superseded by a newer publish of the same tree, which then
// commits.
func TestCancelAndSupersede(t *testing.T) {
	r := newRig(t, nil, all, time.Minute)
	ctx := context.Background()
	stamp := time.Now().Unix() - 100
	a, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	waitState(t, r.p, a.ID, store.Gating)
	if err := r.p.Cancel(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if s := waitEnd(t, r.p, a.ID); s.State != store.Cancelled {
		t.Fatalf("cancelled publish ended %s", s.State)
	}
	if err := r.p.Cancel(ctx, a.ID); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second cancel: %v", err)
	}
	b, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp})
	waitState(t, r.p, b.ID, store.Gating)
	c, _ := r.p.Start(ctx, Request{Tree: "content", Stamp: stamp + 1})
	if s := waitEnd(t, r.p, b.ID); s.State != store.Cancelled || !strings.Contains(s.Reason, "superseded") {
		t.Fatalf("superseded publish ended %s: %s", s.State, s.Reason)
	}
	for _, u := range []string{"https://t1a/TIME", "https://t1b/TIME", "rsync://t1c/m/TIME"} {
		r.fetch.set(u, stamp+1)
	}
	if s := waitEnd(t, r.p, c.ID); s.State != store.Committed {
		t.Fatalf("newest publish ended %s: %s", s.State, s.Reason)
	}
}

// TestResumeAfterRestart: a publish gating when signald stops is still
// gating after the restart, with its deadline, and commits once the
// quorum arrives; nothing was committed in between.
func TestResumeAfterRestart(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := newRig(t, st, all, time.Minute)
	stamp := time.Now().Unix() - 100
	s, _ := r.p.Start(context.Background(), Request{Tree: "vault", Stamp: stamp})
	waitState(t, r.p, s.ID, store.Gating)
	r.stop()
	before, _ := st.GetPublish(context.Background(), s.ID)
	if before.State != store.Gating {
		t.Fatalf("after shutdown the publish is %s", before.State)
	}
	r2 := newRig(t, st, all, time.Minute)
	for _, u := range []string{"https://t1a/TIME", "https://t1b/TIME", "rsync://t1c/m/TIME"} {
		r2.fetch.set(u, stamp)
	}
	after := waitEnd(t, r2.p, s.ID)
	if after.State != store.Committed || !after.Deadline.Equal(before.Deadline) {
		t.Fatalf("resumed publish %s, deadline %v (was %v)", after.State, after.Deadline, before.Deadline)
	}
}

// TestPlantFailure: a master that cannot be written fails the publish
// before any gate or commit.
func TestPlantFailure(t *testing.T) {
	r := newRig(t, nil, majority, time.Minute)
	r.planter.fail = errors.New("permission denied")
	s, _ := r.p.Start(context.Background(), Request{Tree: "content", Stamp: time.Now().Unix() - 10})
	s = waitEnd(t, r.p, s.ID)
	if s.State != store.Failed || !strings.Contains(s.Reason, "permission denied") || len(r.commits) != 0 {
		t.Fatalf("ended %s: %s", s.State, s.Reason)
	}
}

func waitState(t *testing.T, p *Publisher, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := p.Status(context.Background(), id)
		if err == nil && s.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %d never reached %s (%+v, %v)", id, state, s, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestOneWorkerPerPublish: a publish that Run both resumes and receives
// from the queue gets one worker, not two.
func TestOneWorkerPerPublish(t *testing.T) {
	r := newRig(t, nil, all, time.Minute)
	p := r.p
	var started int
	for range 3 {
		if p.claim(42, func() {}) {
			started++
		}
	}
	if started != 1 {
		t.Fatalf("%d workers claimed publish 42", started)
	}
	p.untrack(42)
	if !p.claim(42, func() {}) {
		t.Fatal("a publish whose worker ended cannot be claimed again")
	}
}

// TestRunStoppedWhileStarting: a Run whose context ends while it lists the
// pending publishes returns nil, so stopping signald early is no error.
func TestRunStoppedWhileStarting(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := New(Options{Store: st, Layout: signal.Layout{"content"}, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}
