package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/demo/fleet"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// e2eFleet is the small fleet of the propagation test: 2 tier-1 hosts and
// 4 mirrors whose agents poll every 10 s (mirror-agent's shortest
// daemon_interval) plus up to 2 s of jitter, and a checker re-checking
// every second after a publish.
func e2eFleet(t *testing.T) fleet.Options {
	return fleet.Options{
		Dir: t.TempDir(), Tier1: 2, Mirrors: 4,
		AgentBinary: filepath.Join(binDir, "mirror-agent"), Rsync: testtool.Path(t, "rsync"),
		AgentInterval: 10 * time.Second, AgentJitter: 2 * time.Second,
		CheckerInterval: 30 * time.Second, CheckerFast: time.Second, CheckerTimeout: 2 * time.Second,
		Files: 8, FileSize: 64 << 10,
	}
}

// TestPropagationEndToEnd publishes through signald (plant on the master,
// tier-1 gate, commit) into a loopback fleet of real rsync daemons and
// mirror-agent daemons, and checks that:
//   - every mirror is seen fresh within the bound its configuration
//     implies (poll interval + jitter + signal queries + its rsync +
//     the checker's fast interval + probe timeout + slack);
//   - each mirror's first-fresh time (checker.db) lies between its agent's
//     rsync (from the agent's JSON log) and that plus the checker's fast
//     interval, probe timeout and slack;
//   - signald's event agrees: every mirror counted, its curve's times are
//     the first-fresh times, its 50/80/100 % marks are the curve's order
//     statistics, and no mirror is fresh before its agent synced;
//   - after Close no process of the fleet is left.
//
// With MIRRORSIGNAL_CALIBRATION set it writes the measured figures there
// for cmd/propsim -calibrate.
func TestPropagationEndToEnd(t *testing.T) {
	o := e2eFleet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, err := fleet.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFleet(t, f, o.Dir) })

	pub, err := f.Publish(ctx, nil)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	b := f.Bounds()
	ev, err := f.Await(ctx, pub.Stamp, b.Wait(), nil)
	if err != nil {
		t.Fatalf("within %s of the commit (the configuration's bound): %v", b.Wait(), err)
	}
	p, err := f.Measure(ctx, pub, ev)
	if err != nil {
		t.Fatal(err)
	}
	checkEvent(t, f, p)
	checkMirrors(t, f, p, b)
	checkTier1(t, f, p)
	if path := os.Getenv("MIRRORSIGNAL_CALIBRATION"); path != "" {
		if err := f.Calibration(p).WriteFile(path); err != nil {
			t.Fatal(err)
		}
	}
	for _, pct := range []int{50, 80, 100} {
		d, _ := fleet.Reached(ev, pct)
		t.Logf("publish → %d %% fresh: %s (commit after %s)", pct, d.Round(time.Millisecond), p.Committed.Sub(p.Published).Round(time.Millisecond))
	}
	t.Logf("calibration: %+v", f.Calibration(p))
}

// closeFleet stops the fleet and fails when any of its processes is left.
func closeFleet(t *testing.T, f *fleet.Fleet, dir string) {
	t.Helper()
	if err := f.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	left, err := fleet.WaitGone(dir, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("processes left after Close:\n%s", strings.Join(left, "\n"))
	}
}

// checkEvent: the event counts every tier-1 host and mirror, fresh, and
// its curve and marks agree with the per-mirror first-fresh times.
func checkEvent(t *testing.T, f *fleet.Fleet, p *fleet.Propagation) {
	t.Helper()
	ev, n := p.Event, len(f.Tier1())+len(f.Mirrors())
	if ev.Carrying != n || ev.Fresh != n {
		t.Fatalf("event %s: %d of %d fresh, want %d of %d", ev.ID, ev.Fresh, ev.Carrying, n, n)
	}
	if len(p.Delays) != n {
		t.Fatalf("the curve gives %d first-fresh times, want %d: %+v", len(p.Delays), n, ev.Curve)
	}
	// The curve's times are the first-fresh times of checker.db (whole
	// seconds) and the gate (the tier-1 hosts), in order.
	var want []time.Time
	for _, m := range f.Mirrors() {
		at, ok := p.FirstFresh[m]
		if !ok {
			t.Fatalf("checker.db has no first-fresh time of %s: %v", m, p.FirstFresh)
		}
		want = append(want, at)
	}
	for _, h := range f.Tier1() {
		at, ok := p.Tier1Seen[h]
		if db, inDB := p.FirstFresh[h]; inDB && (!ok || db.Before(at)) {
			at, ok = db, true
		}
		if !ok {
			t.Fatalf("no first-fresh time of tier-1 host %s", h)
		}
		want = append(want, at)
	}
	slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })
	for i, d := range p.Delays {
		got := p.Published.Add(d)
		if got.Before(want[i].Truncate(time.Second)) || got.Sub(want[i]) >= time.Second {
			t.Errorf("curve step %d at %s (%s after publish); the %d-th first-fresh time is %s", i, got, d, i+1, want[i])
		}
	}
	// 50, 80 and 100 % are the ⌈p·n/100⌉-th first-fresh times.
	for _, pct := range []int{50, 80, 100} {
		got, ok := fleet.Reached(ev, pct)
		need := (pct*n + 99) / 100
		if !ok || got != p.Delays[need-1] {
			t.Errorf("%d %%: %s (reached %v), want the %d-th time %s", pct, got, ok, need, p.Delays[need-1])
		}
	}
	if len(p.MirrorDelays) != len(f.Mirrors()) {
		t.Fatalf("%d mirror delays, want %d", len(p.MirrorDelays), len(f.Mirrors()))
	}
}

// checkMirrors: each mirror synced once for the stamp after the commit,
// within the poll bound, and the checker saw it fresh after its rsync
// began and at most Detect + Slack after the rsync ended; the whole
// propagation of each mirror is within FreshBy of its rsync time.
func checkMirrors(t *testing.T, f *fleet.Fleet, p *fleet.Propagation, b fleet.Bounds) {
	t.Helper()
	for _, m := range f.Mirrors() {
		s, ok := p.Syncs[m]
		if !ok {
			t.Errorf("%s: its agent's log has no sync to %d", m, p.Stamp)
			continue
		}
		ff := p.FirstFresh[m] // whole seconds, rounded down
		rsync := s.RsyncDone.Sub(s.RsyncStart)
		switch {
		case s.Decided.Before(p.Committed):
			t.Errorf("%s: the agent decided to sync at %s, before the commit at %s", m, s.Decided, p.Committed)
		case s.Decided.Sub(p.Committed) > b.Poll:
			t.Errorf("%s: the agent polled %s after the commit; its configuration allows %s", m, s.Decided.Sub(p.Committed), b.Poll)
		case s.RsyncStart.IsZero() || s.RsyncDone.IsZero():
			t.Errorf("%s: no rsync start or end in the agent's log: %+v", m, s)
		// Fresh only once rsync ran: not before it started, and not before
		// it ended but for the moments between rsync putting TIME in place
		// and exiting, at checker.db's whole seconds.
		case ff.Before(s.RsyncStart.Truncate(time.Second)) || ff.Before(s.RsyncDone.Truncate(time.Second).Add(-time.Second)):
			t.Errorf("%s: first seen fresh at %s, but its rsync ran from %s to %s", m, ff, s.RsyncStart, s.RsyncDone)
		case ff.Sub(s.RsyncDone) > b.SeenBy():
			t.Errorf("%s: first seen fresh %s after its rsync ended; the checker's fast interval and timeout allow %s", m, ff.Sub(s.RsyncDone), b.SeenBy())
		case ff.Sub(p.Committed) > b.FreshBy(rsync):
			t.Errorf("%s: fresh %s after the commit, its rsync took %s; the bound is %s", m, ff.Sub(p.Committed), rsync, b.FreshBy(rsync))
		}
		if s.RsyncSeconds <= 0 || s.RsyncSeconds > rsync.Seconds()+0.5 {
			t.Errorf("%s: the agent measured its rsync at %.3fs, its log lines are %s apart", m, s.RsyncSeconds, rsync)
		}
	}
}

// checkTier1: each tier-1 host synced from the master after the plant,
// and the gate saw it only after that sync began.
func checkTier1(t *testing.T, f *fleet.Fleet, p *fleet.Propagation) {
	t.Helper()
	for _, h := range f.Tier1() {
		s, ok := p.Tier1Syncs[h]
		seen := p.Tier1Seen[h]
		switch {
		case !ok:
			t.Errorf("%s never synced %d from the master", h, p.Stamp)
		case seen.IsZero():
			t.Errorf("the gate never saw %s", h)
		case seen.Before(s.Start.Truncate(time.Second)): // the gate keeps whole seconds
			t.Errorf("the gate saw %s at %s, before its sync began at %s", h, seen, s.Start)
		case seen.After(p.Committed):
			t.Errorf("the gate saw %s at %s, after the commit at %s", h, seen, p.Committed)
		}
	}
}
