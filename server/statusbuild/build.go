// Package statusbuild makes the primary's status snapshots: it gathers the
// zone, the checker's view, the name-server watch, the mirror list, the
// checker's history, the publish gates and the master's repository
// metadata into one status.Snapshot, and sets it on the hub the public
// surfaces read.
//
// Inputs arrive on their producers' goroutines (ZoneChanged, the checker's
// and the name-server watch's views); each only stores a pointer and pokes
// Run, which rebuilds at most once per MinInterval. Each mirror's history
// (checker.db) is read again in the background, one mirror at a time,
// spread over HistoryRefresh.
package statusbuild

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/nscheck"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// Defaults.
const (
	DefaultMinInterval    = time.Second
	DefaultHistoryRefresh = 5 * time.Minute
	// RecentProbes is how many of the last results per tree a mirror shows.
	RecentProbes = 10
	// publishesRead is how many recent publishes are matched to events.
	publishesRead = 100
	// queryTimeout bounds each read of the stores.
	queryTimeout = 10 * time.Second
)

// Tree is one tree of the record as configured.
type Tree struct {
	Name   string
	Master string              // the master's base URL (repo_base); "" when none
	Need   func(total int) int // the quorum of total tier-1 hosts; nil: all
}

// HistoryReader reads a mirror's history; *store.CheckerDB is one.
type HistoryReader interface {
	History(ctx context.Context, mirror string, now time.Time) (store.History, error)
	Recent(ctx context.Context, mirror, tree string, n int) ([]checker.Result, error)
}

// PublishLister lists the newest publishes; *store.Store is one.
type PublishLister interface {
	ListPublishes(ctx context.Context, limit int, pending bool) ([]store.Publish, error)
}

// Options configure a Builder. Hub, Origin, Trees and Now are required;
// the others are nil when the component is off.
type Options struct {
	Hub    *status.Hub
	Origin string
	Trees  []Tree
	Fleet  func() *mirrors.Fleet
	// History and Publishes feed the mirrors' days, figures and recent
	// probes, and the events' gates.
	History   HistoryReader
	Publishes PublishLister
	// Repos gives the master's repository metadata (the mirrorlist's
	// tracker).
	Repos          func() []status.Repo
	CheckerEnabled bool
	MinInterval    time.Duration
	HistoryRefresh time.Duration
	Now            func() time.Time
	Log            *slog.Logger
}

// Builder makes snapshots from the latest inputs.
type Builder struct {
	o    Options
	wake chan struct{}

	zone    atomic.Pointer[zone.Snapshot]
	checker atomic.Pointer[checker.View]
	ns      atomic.Pointer[nscheck.View]

	mu      sync.Mutex // guards history
	history map[string]mirrorHistory
}

// mirrorHistory is what checker.db said about one mirror, per tree.
type mirrorHistory struct {
	days    map[string][]status.Day
	figures map[string]*status.Figures
	recent  map[string][]status.Probe
}

// New returns a builder; Run makes the snapshots.
func New(o Options) *Builder {
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.HistoryRefresh <= 0 {
		o.HistoryRefresh = DefaultHistoryRefresh
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Builder{o: o, wake: make(chan struct{}, 1), history: map[string]mirrorHistory{}}
}

// ZoneChanged takes a new zone (zone.Subscriber).
func (b *Builder) ZoneChanged(s *zone.Snapshot) {
	b.zone.Store(s)
	b.Changed()
}

// Checker returns the subscriber for the checker's views.
func (b *Builder) Checker() checker.ViewSubscriber { return checkerSub{b} }

// NameServers returns the subscriber for the name-server watch's views.
func (b *Builder) NameServers() nscheck.ViewSubscriber { return nsSub{b} }

type checkerSub struct{ b *Builder }

func (s checkerSub) ViewChanged(v *checker.View) { s.b.checker.Store(v); s.b.Changed() }

type nsSub struct{ b *Builder }

func (s nsSub) ViewChanged(v *nscheck.View) { s.b.ns.Store(v); s.b.Changed() }

// Changed asks for a new snapshot (the mirror list or the repos changed).
func (b *Builder) Changed() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run builds a snapshot at once, then whenever an input changes (at most
// once per MinInterval), and refreshes the history in the background,
// until ctx ends.
func (b *Builder) Run(ctx context.Context) error {
	if b.o.History != nil {
		go b.refreshHistory(ctx)
	}
	b.Changed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.wake:
		}
		b.o.Hub.Set(b.Build(ctx))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(b.o.MinInterval):
		}
	}
}

// refreshHistory reads each mirror's history again, one mirror at a time,
// spreading a pass over HistoryRefresh.
func (b *Builder) refreshHistory(ctx context.Context) {
	for ctx.Err() == nil {
		var names []string
		if f := b.fleet(); f != nil {
			for _, m := range f.Mirrors() {
				names = append(names, m.Name())
			}
		}
		pause := b.o.HistoryRefresh / time.Duration(max(len(names), 1))
		for _, name := range names {
			if h, ok := b.readHistory(ctx, name); ok {
				b.mu.Lock()
				b.history[name] = h
				b.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
		}
		b.forgetGone(names)
		b.Changed()
		if len(names) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(b.o.HistoryRefresh):
			}
		}
	}
}

// readAll reads every mirror's history at once (for tests).
func (b *Builder) readAll(ctx context.Context) {
	f := b.fleet()
	if f == nil {
		return
	}
	for _, m := range f.Mirrors() {
		if h, ok := b.readHistory(ctx, m.Name()); ok {
			b.mu.Lock()
			b.history[m.Name()] = h
			b.mu.Unlock()
		}
	}
}

// forgetGone drops the history of mirrors no longer listed.
func (b *Builder) forgetGone(names []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for name := range b.history {
		if !slices.Contains(names, name) {
			delete(b.history, name)
		}
	}
}

func (b *Builder) readHistory(ctx context.Context, name string) (mirrorHistory, bool) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	h, err := b.o.History.History(ctx, name, b.o.Now())
	if err != nil {
		if ctx.Err() == nil {
			b.o.Log.Warn("reading a mirror's history", "component", "status", "mirror", name, "err", err)
		}
		return mirrorHistory{}, false
	}
	out := mirrorHistory{days: map[string][]status.Day{}, figures: map[string]*status.Figures{}, recent: map[string][]status.Probe{}}
	for tree, ws := range h.Figures.Trees {
		out.figures[tree] = &status.Figures{Fresh7d: ws[0].FreshPct, Fresh30d: ws[1].FreshPct,
			LagP50: int64(ws[1].LagP50 / time.Second), LagP95: int64(ws[1].LagP95 / time.Second)}
	}
	for tree, ds := range h.Days {
		for _, d := range ds {
			out.days[tree] = append(out.days[tree], status.Day{Date: d.Date.Format(time.DateOnly), Checks: d.Checks,
				FreshPercent: d.FreshPct, MaxLag: int64(d.MaxLag / time.Second), Worst: string(d.Worst)})
		}
		rs, err := b.o.History.Recent(ctx, name, tree, RecentProbes)
		if err != nil {
			b.o.Log.Warn("reading a mirror's recent probes", "component", "status", "mirror", name, "tree", tree, "err", err)
			continue
		}
		for _, r := range rs {
			out.recent[tree] = append(out.recent[tree], probeOf(r))
		}
	}
	return out, true
}

func (b *Builder) fleet() *mirrors.Fleet {
	if b.o.Fleet == nil {
		return nil
	}
	return b.o.Fleet()
}
