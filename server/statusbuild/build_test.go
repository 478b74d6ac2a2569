package statusbuild

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/nscheck"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const mirrorsTOML = `
[[mirror]]
name = "t1.example.net"
country = "DE"
tier = 1
bandwidth = 1000
netblocks = ["192.0.2.0/24"]
admin = "ops@example.net"
[mirror.trees.content]
https = "https://t1.example.net/content/"
rsync = "rsync://t1.example.net/content/"

[[mirror]]
name = "m2.example.net"
country = "US"
families = ["ipv4", "ipv6"]
[mirror.trees.content]
http = "http://m2.example.net/content/"
[mirror.trees.altarch]
http = "http://m2.example.net/altarch/"
`

func fleet(t *testing.T) *mirrors.Fleet {
	t.Helper()
	f, err := mirrors.Parse("mirrors.toml", []byte(mirrorsTOML), signal.Layout{"content", "altarch"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type fakeHistory struct{ err error }

func (h fakeHistory) History(_ context.Context, mirror string, now time.Time) (store.History, error) {
	if h.err != nil {
		return store.History{}, h.err
	}
	day := store.Day{Date: now.Truncate(24 * time.Hour), Checks: 4, Hours: 2, FreshPct: 50, MaxLag: time.Hour, Worst: checker.Behind}
	return store.History{
		Figures: store.Figures{Mirror: mirror, Trees: map[string][2]store.Window{"content": {{FreshPct: 90}, {FreshPct: 80, LagP95: 2 * time.Hour}}}},
		Days:    map[string][]store.Day{"content": {day}},
	}, nil
}

func (h fakeHistory) Recent(_ context.Context, mirror, tree string, n int) ([]checker.Result, error) {
	return []checker.Result{{Key: checker.Key{Mirror: mirror, Tree: tree, Proto: mirrors.HTTP}, At: t0, State: checker.Fresh, Stamp: 100}}, nil
}

type fakePublishes []store.Publish

func (p fakePublishes) ListPublishes(context.Context, int, bool) ([]store.Publish, error) {
	return p, nil
}

func TestBuild(t *testing.T) {
	f := fleet(t)
	hub := status.NewHub()
	pub := store.Publish{ID: 7, Tree: "content", Stamp: 1000, State: store.Committed, Created: t0.Add(-time.Hour), Updated: t0.Add(-time.Hour + 30*time.Second),
		Hosts: []store.HostSeen{{Host: "t1.example.net", Stamp: 1000, FirstSeen: t0.Add(-time.Hour + 20*time.Second)}}}
	b := New(Options{Hub: hub, Origin: "mirrors.example.test.", Now: func() time.Time { return t0 },
		Trees:   []Tree{{Name: "content", Master: "https://master.example.test/content/", Need: func(n int) int { return n }}, {Name: "altarch"}},
		Fleet:   func() *mirrors.Fleet { return f },
		History: fakeHistory{}, Publishes: fakePublishes{pub}, CheckerEnabled: true,
		Repos: func() []status.Repo { return []status.Repo{{Name: "baseos", Arch: "x86_64", Tree: "content"}} }})
	// Before any input: the mirrors are listed, unknown, and the zone is
	// not loaded.
	s := b.Build(context.Background())
	if s.Signal.Loaded || len(s.Mirrors) != 2 || s.Mirrors[0].Trees[0].State != status.Unknown {
		t.Fatalf("before inputs: %+v", s)
	}
	view := &checker.View{At: t0, Signal: map[string]int64{"content": 1000},
		Counts: map[string]map[checker.State]int{"content": {checker.Fresh: 1, checker.Behind: 1}},
		Mirrors: []checker.MirrorView{{Name: "m2.example.net", Trees: []checker.TreeView{{
			Result:   checker.Result{Key: checker.Key{Mirror: "m2.example.net", Tree: "content"}, At: t0, State: checker.Behind, Stamp: 900, Signal: 1000, Lag: 100 * time.Second},
			Notified: checker.Fresh,
			Probes: []checker.Result{{Key: checker.Key{Proto: mirrors.HTTP, Family: mirrors.IPv4}, At: t0, State: checker.Behind, Stamp: 900, Lag: 100 * time.Second},
				{Key: checker.Key{Proto: mirrors.HTTP, Family: mirrors.IPv6}, At: t0, State: checker.Unreachable, Err: "refused"}}}}}},
		Events: []checker.Event{
			{Tree: "content", Stamp: 1000, Published: time.Unix(1000, 0), Fresh: 2}, // before a forced publish back to 500
			{Tree: "content", Stamp: 500, Published: time.Unix(500, 0)},
			{Tree: "content", Stamp: 1000, Published: time.Unix(1000, 0), Carrying: 2, Fresh: 1,
				Reached: []checker.Reached{{Percent: 50, After: 90 * time.Second}}, Curve: []checker.Point{{After: 90 * time.Second, Percent: 50}}}},
	}
	b.Checker().ViewChanged(view)
	b.NameServers().ViewChanged(&nscheck.View{Servers: []nscheck.ServerView{{Status: nscheck.Status{Server: nscheck.Server{Name: "ns1.", Addr: "192.0.2.53:53"}, State: nscheck.Lagging, Serial: 4, BehindSince: t0.Add(-time.Hour)}}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.readAll(ctx)
	s = b.Build(ctx)

	if got := s.Trees[0]; got.Name != "content" || got.Master != "https://master.example.test/content/" || got.Counts["fresh"] != 1 || got.Counts["behind"] != 1 {
		t.Errorf("tree content: %+v", got)
	}
	t1 := s.Mirrors[0]
	if t1.Name != "t1.example.net" || t1.Country != "DE" || t1.Continent != "EU" || t1.Tier != 1 || t1.Bandwidth != 1000 ||
		len(t1.Netblocks) != 1 || t1.Netblocks[0] != "192.0.2.0/24" || t1.Admin != "ops@example.net" {
		t.Errorf("mirror t1: %+v", t1)
	}
	if mt := t1.Trees[0]; mt.URLs["https"] != "https://t1.example.net/content/" || mt.URLs["rsync"] == "" || mt.URLs["http"] != "" || mt.State != status.Unknown {
		t.Errorf("t1 content: %+v", mt)
	}
	m2 := s.Mirrors[1]
	if len(m2.Trees) != 2 || len(m2.Families) != 2 {
		t.Fatalf("m2: %+v", m2)
	}
	mt := m2.Trees[0]
	if mt.State != status.Behind || mt.Notified != status.Fresh || mt.LagSeconds != 100 || mt.Stamp != 900 || len(mt.Probes) != 2 ||
		mt.Probes[1].Family != "ipv6" || mt.Probes[1].Err != "refused" {
		t.Errorf("m2 content: %+v", mt)
	}
	if len(mt.Days) != 1 || mt.Days[0].FreshPercent != 50 || mt.Days[0].MaxLag != 3600 || mt.Days[0].Worst != status.Behind ||
		mt.Figures == nil || mt.Figures.Fresh7d != 90 || mt.Figures.LagP95 != 7200 || len(mt.Recent) != 1 {
		t.Errorf("m2 content history: %+v", mt)
	}
	if len(s.Events) != 2 || s.Events[0].ID != "content-1000" || s.Events[1].ID != "content-500" {
		t.Fatalf("events, newest first: %+v", s.Events)
	}
	e := s.Events[0]
	if len(e.Reached) != 1 || e.Reached[0].AfterSeconds != 90 || e.Gate == nil || e.Gate.PublishID != 7 || e.Gate.Quorum != 1 ||
		len(e.Gate.Hosts) != 1 || e.Gate.Hosts[0].FirstSeen.IsZero() || !e.Gate.Committed.Equal(pub.Updated) {
		t.Errorf("event: %+v gate %+v", e, e.Gate)
	}
	if s.Events[1].Gate != nil {
		t.Errorf("an event signald did not gate has a gate: %+v", s.Events[1].Gate)
	}
	if len(s.NameServers) != 1 || s.NameServers[0].State != "lagging" || s.NameServers[0].Since.IsZero() {
		t.Errorf("name servers: %+v", s.NameServers)
	}
	if len(s.Repos) != 1 || !s.Checker.Enabled || !s.Checker.At.Equal(t0) {
		t.Errorf("repos %+v checker %+v", s.Repos, s.Checker)
	}
}

// TestBuildHistoryFails: a history that cannot be read leaves the mirrors
// without days, not without state.
func TestBuildHistoryFails(t *testing.T) {
	f := fleet(t)
	b := New(Options{Hub: status.NewHub(), Now: func() time.Time { return t0 }, Trees: []Tree{{Name: "content"}, {Name: "altarch"}},
		Fleet: func() *mirrors.Fleet { return f }, History: fakeHistory{err: errors.New("disk gone")}})
	b.readAll(context.Background())
	s := b.Build(context.Background())
	if len(s.Mirrors) != 2 || s.Mirrors[1].Trees[0].Days != nil {
		t.Fatalf("%+v", s.Mirrors)
	}
}

// TestRun sets a snapshot on the hub at once and again after a change.
func TestRun(t *testing.T) {
	hub := status.NewHub()
	got := make(chan *status.Snapshot, 10)
	hub.Subscribe(status.SubscriberFunc(func(s *status.Snapshot) { got <- s }))
	<-got // the empty one
	b := New(Options{Hub: hub, Now: time.Now, Trees: []Tree{{Name: "content"}}, MinInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Run(ctx) }()
	first := <-got
	if first.Format != status.Format || len(first.Trees) != 1 {
		t.Fatalf("first: %+v", first)
	}
	b.Checker().ViewChanged(&checker.View{At: t0})
	select {
	case s := <-got:
		if !s.Checker.At.Equal(t0) {
			t.Fatalf("after the view: %+v", s.Checker)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot after a change")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
