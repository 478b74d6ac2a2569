package statusbuild

import (
	"context"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/nscheck"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// Build makes a snapshot from the latest inputs.
func (b *Builder) Build(ctx context.Context) *status.Snapshot {
	now := b.o.Now()
	s := &status.Snapshot{Format: status.Format, Generated: now.UTC(), Checker: status.Checker{Enabled: b.o.CheckerEnabled}}
	stamps := map[string]int64{}
	s.Signal.Zone = b.o.Origin
	if z := b.zone.Load(); z != nil {
		s.Signal = status.Signal{Zone: b.o.Origin, Name: z.Name, Record: z.Record.String(), Serial: z.Serial, Loaded: true,
			DNSSEC: status.DNSSEC{Signed: z.DNSSEC.Signed, Expiry: z.DNSSEC.Expiry.UTC(), KeyTags: slices.Clone(z.DNSSEC.KeyTags)}}
		stamps = z.Stamps
	}
	view := b.checker.Load()
	if view != nil {
		s.Checker.At = view.At.UTC()
	}
	for _, t := range b.o.Trees {
		st := status.Tree{Name: t.Name, Stamp: stamps[t.Name], Master: t.Master, Counts: map[string]int{}}
		if view != nil {
			for state, n := range view.Counts[t.Name] {
				st.Counts[string(state)] = n
			}
		}
		s.Trees = append(s.Trees, st)
	}
	s.NameServers = nameServers(b.ns.Load())
	fleet := b.fleet()
	if fleet != nil {
		s.Mirrors = b.mirrorsOf(fleet, view)
	}
	if view != nil {
		s.Events = b.events(ctx, view, fleet)
	}
	if b.o.Repos != nil {
		s.Repos = b.o.Repos()
	}
	return s
}

// mirrorsOf joins the mirror list, the checker's view and the history.
func (b *Builder) mirrorsOf(fleet *mirrors.Fleet, view *checker.View) []status.Mirror {
	b.mu.Lock()
	history := b.history
	b.mu.Unlock()
	ms := fleet.Mirrors()
	out := make([]status.Mirror, 0, len(ms))
	for _, m := range ms {
		sm := status.Mirror{Name: m.Name(), Country: m.Country(), Continent: m.Continent(), Tier: int(m.Tier()),
			Admin: m.Admin(), Bandwidth: m.Bandwidth(), SyncSource: m.SyncSource()}
		for _, p := range m.Netblocks() {
			sm.Netblocks = append(sm.Netblocks, p.String())
		}
		for _, f := range m.Families() {
			sm.Families = append(sm.Families, string(f))
		}
		var mv checker.MirrorView
		if view != nil {
			mv, _ = view.Mirror(m.Name())
		}
		b.mu.Lock()
		h := history[m.Name()]
		b.mu.Unlock()
		for _, tree := range m.Trees() {
			sm.Trees = append(sm.Trees, treeOf(m, tree, mv, h))
		}
		out = append(out, sm)
	}
	return out
}

// treeOf is one tree on m: its URLs, the checker's state and the history.
func treeOf(m mirrors.Mirror, tree string, mv checker.MirrorView, h mirrorHistory) status.MirrorTree {
	mt := status.MirrorTree{Tree: tree, URLs: map[string]string{}, State: status.Unknown, Notified: status.Unknown}
	for _, p := range []mirrors.Protocol{mirrors.HTTP, mirrors.HTTPS, mirrors.Rsync} {
		if u := m.URLs(tree).Get(p); u != "" {
			mt.URLs[string(p)] = u
		}
	}
	if tv, ok := mv.Tree(tree); ok {
		mt.State, mt.Notified = string(tv.State), string(tv.Notified)
		mt.Stamp, mt.Signal, mt.LagSeconds, mt.Err = tv.Stamp, tv.Signal, int64(tv.Lag/time.Second), tv.Err
		if !tv.At.IsZero() {
			mt.Checked = tv.At.UTC()
		}
		for _, r := range tv.Probes {
			mt.Probes = append(mt.Probes, probeOf(r))
		}
	}
	mt.Days, mt.Figures, mt.Recent = h.days[tree], h.figures[tree], h.recent[tree]
	return mt
}

func probeOf(r checker.Result) status.Probe {
	return status.Probe{Proto: string(r.Proto), Family: string(r.Family), State: string(r.State), At: r.At.UTC(),
		Stamp: r.Stamp, LagSeconds: int64(r.Lag / time.Second), LatencySeconds: r.Latency.Seconds(), Err: r.Err}
}

// events turns the checker's events into the snapshot's, newest first,
// each with the gate of the publish that made it.
func (b *Builder) events(ctx context.Context, view *checker.View, fleet *mirrors.Fleet) []status.Event {
	var pubs []store.Publish
	if b.o.Publishes != nil && len(view.Events) > 0 {
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		var err error
		pubs, err = b.o.Publishes.ListPublishes(ctx, publishesRead, false)
		cancel()
		if err != nil && ctx.Err() == nil {
			b.o.Log.Warn("reading publishes for the events' gates", "component", "status", "err", err)
		}
	}
	out := make([]status.Event, 0, len(view.Events))
	ids := map[string]bool{}
	for i := len(view.Events) - 1; i >= 0; i-- {
		e := view.Events[i]
		// A forced publish back and forth can repeat a stamp: the newest
		// event of a stamp is its event (an id names one event).
		id := status.EventID(e.Tree, e.Stamp)
		if ids[id] {
			continue
		}
		ids[id] = true
		se := status.Event{ID: id, Tree: e.Tree, Stamp: e.Stamp,
			Published: e.Published.UTC(), Learned: e.Learned.UTC(), Carrying: e.Carrying, Fresh: e.Fresh}
		for _, r := range e.Reached {
			se.Reached = append(se.Reached, status.Reached{Percent: r.Percent, AfterSeconds: r.After.Seconds()})
		}
		for _, p := range e.Curve {
			se.Curve = append(se.Curve, status.Point{AfterSeconds: p.After.Seconds(), Percent: p.Percent})
		}
		se.Gate = b.gate(pubs, e, fleet)
		out = append(out, se)
	}
	return out
}

// gate is the committed publish of e's tree and stamp, if signald made it.
func (b *Builder) gate(pubs []store.Publish, e checker.Event, fleet *mirrors.Fleet) *status.Gate {
	for _, p := range pubs {
		if p.Tree != e.Tree || p.Stamp != e.Stamp || p.State != store.Committed {
			continue
		}
		g := &status.Gate{PublishID: p.ID, Started: p.Created.UTC(), Committed: p.Updated.UTC()}
		seen := map[string]time.Time{}
		for _, h := range p.Hosts {
			if h.Stamp >= p.Stamp {
				seen[h.Host] = h.FirstSeen
			}
		}
		var hosts []string
		if fleet != nil {
			for _, m := range fleet.Tier1(e.Tree) {
				hosts = append(hosts, m.Name())
			}
		}
		for h := range seen {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
		slices.Sort(hosts)
		for _, h := range hosts {
			gh := status.GateHost{Host: h}
			if at, ok := seen[h]; ok {
				gh.FirstSeen = at.UTC()
			}
			g.Hosts = append(g.Hosts, gh)
		}
		g.Quorum = len(hosts)
		for _, t := range b.o.Trees {
			if t.Name == e.Tree && t.Need != nil {
				g.Quorum = min(max(t.Need(len(hosts)), 1), len(hosts))
			}
		}
		if p.Forced {
			g.Quorum = 0
		}
		return g
	}
	return nil
}

// nameServers is the name-server watch's last round.
func nameServers(v *nscheck.View) []status.NameServer {
	if v == nil {
		return nil
	}
	out := make([]status.NameServer, 0, len(v.Servers))
	for _, s := range v.Servers {
		ns := status.NameServer{Name: s.Name, Address: s.Addr, Serial: s.Serial, Record: s.TXT, Err: s.LastError,
			State: string(s.State)}
		if !s.LastCheck.IsZero() {
			ns.At = s.LastCheck.UTC()
		}
		if !s.BehindSince.IsZero() {
			ns.Since = s.BehindSince.UTC()
		}
		out = append(out, ns)
	}
	return out
}
