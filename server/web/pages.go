package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// expiryWarning is how close the earliest signature expiry may come
// before the page flags it.
const expiryWarning = 3 * 24 * time.Hour

// Chart sizes (SVG viewBox units).
const (
	cardCurveW, cardCurveH   = 560.0, 210.0
	eventCurveW, eventCurveH = 960.0, 380.0
	lagW, lagH               = 900.0, 220.0
)

// recentEvents is how many events the status page shows.
const recentEvents = 4

// base is what every page's layout needs.
type base struct {
	Title     string
	Now       time.Time
	Zone      string
	Loaded    bool
	Generated time.Time
	CheckerOn bool
	CheckerAt time.Time
}

func newBase(s *status.Snapshot, now time.Time, title string) base {
	return base{Title: title, Now: now, Zone: strings.TrimSuffix(s.Signal.Zone, "."), Loaded: s.Signal.Loaded,
		Generated: s.Generated, CheckerOn: s.Checker.Enabled, CheckerAt: s.Checker.At}
}

// signalView is the status page's header: the record and who serves it.
type signalView struct {
	Name, Record string
	Serial       uint32
	Signed       bool
	Expiry       time.Time
	ExpirySoon   bool
	KeyTags      string
	Trees        []treeSummary
	NameServers  []nsRow
	NSInStep     int
}

// treeSummary is one tree of the record, with its mirrors' states.
type treeSummary struct {
	Name      string
	Stamp     int64
	Published time.Time
	Carrying  int
	Counts    []countChip
	Bar       []barSeg
	Master    string
}

// countChip is how many mirrors of a tree are in a state.
type countChip struct {
	look
	State string
	N     int
	Href  string // the table filtered to them
}

// barSeg is one state's share of a tree's mirrors, as an SVG rect.
type barSeg struct {
	X, W  float64
	Class string
	Title string
}

type nsRow struct {
	Name, Address string
	Serial        uint32
	look
	Label   string
	Checked time.Time
	Since   time.Time
	Err     string
	Record  string
}

func newSignal(s *status.Snapshot) signalView {
	v := signalView{Name: s.Signal.Name, Record: s.Signal.Record, Serial: s.Signal.Serial,
		Signed: s.Signal.DNSSEC.Signed, Expiry: s.Signal.DNSSEC.Expiry}
	v.ExpirySoon = v.Signed && !v.Expiry.IsZero() && v.Expiry.Sub(s.Generated) < expiryWarning
	tags := make([]string, 0, len(s.Signal.DNSSEC.KeyTags))
	for _, t := range s.Signal.DNSSEC.KeyTags {
		tags = append(tags, strconv.Itoa(int(t)))
	}
	v.KeyTags = strings.Join(tags, ", ")
	for _, t := range s.Trees {
		v.Trees = append(v.Trees, newTreeSummary(t))
	}
	for _, ns := range s.NameServers {
		l := nsLook(ns.State)
		r := nsRow{Name: ns.Name, Address: ns.Address, Serial: ns.Serial, look: l, Label: l.Word,
			Checked: ns.At, Since: ns.Since, Err: ns.Err, Record: ns.Record}
		if ns.State == "ok" {
			v.NSInStep++
		}
		v.NameServers = append(v.NameServers, r)
	}
	return v
}

func newTreeSummary(t status.Tree) treeSummary {
	ts := treeSummary{Name: t.Name, Stamp: t.Stamp, Published: epochTime(t.Stamp), Master: t.Master}
	for _, n := range t.Counts {
		ts.Carrying += n
	}
	const barW = 160.0
	x := 0.0
	for _, st := range states {
		n := t.Counts[st]
		if n == 0 {
			continue
		}
		l := lookOf(st)
		q := defaultQuery
		q.Tree, q.State = t.Name, st
		ts.Counts = append(ts.Counts, countChip{look: l, State: st, N: n, Href: q.href()})
		w := round1(barW * float64(n) / float64(ts.Carrying))
		ts.Bar = append(ts.Bar, barSeg{X: round1(x), W: w, Class: "s-" + l.Class, Title: fmt.Sprintf("%d %s", n, l.Word)})
		x += w
	}
	return ts
}

// column is a header of the mirrors table.
type column struct {
	Label    string
	Key      string // sort key; "" when not sortable
	Href     string
	AriaSort string // "ascending", "descending" or ""
	Arrow    string
}

func columns(q query) map[string]column {
	out := map[string]column{}
	for _, c := range []struct{ key, label string }{{sortName, "Mirror"}, {sortCountry, "Country"}, {sortTier, "Tier"},
		{sortLag, "Worst lag"}, {sortChecked, "Last check"}} {
		col := column{Label: c.label, Key: c.key, Href: q.sortedBy(c.key).href()}
		if q.Sort == c.key {
			col.AriaSort, col.Arrow = "ascending", "▲"
			if q.Desc {
				col.AriaSort, col.Arrow = "descending", "▼"
			}
		}
		out[c.key] = col
	}
	return out
}

// option is one choice of a filter's <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// filters are the filter form's choices.
type filters struct {
	Countries, Tiers, Trees, States, Sorts, Orders []option
}

func newFilters(s *status.Snapshot, q query) filters {
	var f filters
	countries, tiers := map[string]bool{}, map[int]bool{}
	for _, m := range s.Mirrors {
		if len(m.Country) == 2 && isLetter(m.Country[0]) && isLetter(m.Country[1]) {
			countries[strings.ToUpper(m.Country)] = true
		}
		if m.Tier >= 1 && m.Tier <= 9 {
			tiers[m.Tier] = true
		}
	}
	f.Countries = append(f.Countries, option{"", "any", q.Country == ""})
	for _, c := range sortedSet(countries) {
		f.Countries = append(f.Countries, option{c, c, q.Country == c})
	}
	f.Tiers = append(f.Tiers, option{"", "any", q.Tier == 0})
	for _, t := range sortedSet(tiers) {
		f.Tiers = append(f.Tiers, option{strconv.Itoa(t), strconv.Itoa(t), q.Tier == t})
	}
	f.Trees = append(f.Trees, option{"", "all", q.Tree == ""})
	for _, t := range s.Trees {
		f.Trees = append(f.Trees, option{t.Name, t.Name, q.Tree == t.Name})
	}
	f.States = append(f.States, option{"", "any", q.State == ""})
	for _, st := range states {
		f.States = append(f.States, option{st, st, q.State == st})
	}
	for _, k := range sortKeys {
		f.Sorts = append(f.Sorts, option{k, k, q.Sort == k})
	}
	f.Orders = []option{{"asc", "ascending", !q.Desc}, {"desc", "descending", q.Desc}}
	return f
}

func sortedSet[K interface{ ~string | ~int }](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// eventCard is one publish event.
type eventCard struct {
	ID, Href, Tree     string
	Stamp              int64
	Published, Learned time.Time
	Carrying, Fresh    int
	FreshPct           float64
	Reached            []reachedRow
	Gate               *gateView
	Plot               curvePlot
}

// reachedRow is a share of mirrors fresh and when it was reached; the
// marks not reached yet are listed too.
type reachedRow struct {
	Percent int
	Reached bool
	After   string
	At      time.Time
}

func reachedRows(ev *status.Event) []reachedRow {
	var out []reachedRow
	got := map[int]bool{}
	for _, r := range ev.Reached {
		got[r.Percent] = true
		out = append(out, reachedRow{Percent: r.Percent, Reached: true, After: after(r.AfterSeconds),
			At: ev.Published.Add(time.Duration(r.AfterSeconds * float64(time.Second)))})
	}
	for _, pc := range curveMarks {
		if !got[pc] {
			out = append(out, reachedRow{Percent: pc})
		}
	}
	slices.SortStableFunc(out, func(a, b reachedRow) int { return a.Percent - b.Percent })
	return out
}

type gateView struct {
	PublishID          int64
	Quorum, Seen       int
	Started, Committed time.Time
	CommitAfter        string
	Hosts              []gateHostRow
}

type gateHostRow struct {
	Host      string
	Href      string // the host's mirror page, when it is a mirror
	FirstSeen time.Time
	After     string
}

func newEventCard(s *status.Snapshot, ev *status.Event, w, h float64) eventCard {
	c := eventCard{ID: ev.ID, Href: eventHref(ev.ID), Tree: ev.Tree, Stamp: ev.Stamp, Published: ev.Published,
		Learned: ev.Learned, Carrying: ev.Carrying, Fresh: ev.Fresh, Plot: curve(ev, w, h)}
	if ev.Carrying > 0 {
		c.FreshPct = float64(int(1000*float64(ev.Fresh)/float64(ev.Carrying))) / 10
	}
	c.Reached = reachedRows(ev)
	if g := ev.Gate; g != nil {
		gv := &gateView{PublishID: g.PublishID, Quorum: g.Quorum, Started: g.Started, Committed: g.Committed}
		if !g.Committed.IsZero() {
			gv.CommitAfter = after(g.Committed.Sub(ev.Published).Seconds())
		}
		for _, hst := range g.Hosts {
			r := gateHostRow{Host: hst.Host, FirstSeen: hst.FirstSeen}
			if !hst.FirstSeen.IsZero() {
				gv.Seen++
				r.After = after(hst.FirstSeen.Sub(ev.Published).Seconds())
			}
			if _, ok := s.Mirror(hst.Host); ok {
				r.Href = mirrorHref(hst.Host)
			}
			gv.Hosts = append(gv.Hosts, r)
		}
		c.Gate = gv
	}
	return c
}

// indexView is the status page.
type indexView struct {
	base
	Signal    signalView
	Q         query
	Filtered  bool
	ResetHref string
	Trees     []string
	Cols      map[string]column
	Filters   filters
	Rows      []row
	Total     int
	ColCount  int // columns of the mirrors table
	Events    []eventCard
	More      int // events not shown
}

func newIndex(s *status.Snapshot, q query, now time.Time) indexView {
	v := indexView{base: newBase(s, now, "Mirror status"), Signal: newSignal(s), Q: q,
		Filtered: q.Country != "" || q.Tier != 0 || q.Tree != "" || q.State != "", Trees: shownTrees(s, q),
		Cols: columns(q), Filters: newFilters(s, q), Rows: rows(s, q, now), Total: len(s.Mirrors)}
	v.ColCount = len(v.Trees) + 8
	reset := defaultQuery
	reset.Sort, reset.Desc = q.Sort, q.Desc
	v.ResetHref = reset.href()
	for i := range s.Events {
		if i == recentEvents {
			v.More = len(s.Events) - i
			break
		}
		v.Events = append(v.Events, newEventCard(s, &s.Events[i], cardCurveW, cardCurveH))
	}
	return v
}

// probeRow is one probe on the mirror page.
type probeRow struct {
	Proto, Family string
	look
	At      time.Time
	Stamp   int64
	Lag     string
	Latency string
	Err     string
}

func newProbeRow(p status.Probe) probeRow {
	r := probeRow{Proto: p.Proto, Family: p.Family, look: lookOf(p.State), At: p.At, Stamp: p.Stamp,
		Lag: lag(p.LagSeconds), Latency: fmt.Sprintf("%.0f ms", p.LatencySeconds*1000), Err: p.Err}
	if r.Family == "" {
		r.Family = "any"
	}
	return r
}

// mirrorTreeView is one tree on the mirror page.
type mirrorTreeView struct {
	Name    string
	Cell    cell
	Checked time.Time
	Stamp   int64
	Signal  int64
	Lag     string
	URLs    []urlRow
	Probes  []probeRow
	Recent  []probeRow
	Figures *figuresView
	Plot    lagPlot
	Days    []status.Day
}

type urlRow struct{ Proto, URL string }

type figuresView struct {
	Fresh7d, Fresh30d string
	LagP50, LagP95    string
}

// mirrorView is a mirror's page.
type mirrorView struct {
	base
	M         *status.Mirror
	Protocols []string
	Families  string
	Netblocks string
	Trees     []mirrorTreeView
}

func newMirror(s *status.Snapshot, m *status.Mirror, now time.Time) mirrorView {
	v := mirrorView{base: newBase(s, now, m.Name), M: m, Protocols: protocols(m), Families: families(m),
		Netblocks: strings.Join(m.Netblocks, ", ")}
	for i := range m.Trees {
		mt := &m.Trees[i]
		tv := mirrorTreeView{Name: mt.Tree, Cell: newCell(now, mt), Checked: mt.Checked, Stamp: mt.Stamp,
			Signal: mt.Signal, Lag: lag(mt.LagSeconds), Plot: lagChart(mt.Tree, mt.Days, lagW, lagH), Days: mt.Days}
		for _, p := range protoOrder {
			if u := mt.URLs[p]; u != "" {
				tv.URLs = append(tv.URLs, urlRow{p, u})
			}
		}
		for _, p := range mt.Probes {
			tv.Probes = append(tv.Probes, newProbeRow(p))
		}
		for _, p := range mt.Recent {
			tv.Recent = append(tv.Recent, newProbeRow(p))
		}
		if f := mt.Figures; f != nil {
			tv.Figures = &figuresView{Fresh7d: percent(f.Fresh7d), Fresh30d: percent(f.Fresh30d), LagP50: lag(f.LagP50), LagP95: lag(f.LagP95)}
		}
		v.Trees = append(v.Trees, tv)
	}
	return v
}

// laggard is a mirror not yet fresh for an event's stamp.
type laggard struct {
	Name, Href string
	Country    string
	Tier       int
	Cell       cell
}

// eventView is an event's page.
type eventView struct {
	base
	Event eventCard
	// Laggards are the mirrors not fresh with the tree's current stamp;
	// only for the tree's latest event.
	Latest   bool
	Laggards []laggard
}

func newEvent(s *status.Snapshot, ev *status.Event, now time.Time) eventView {
	v := eventView{base: newBase(s, now, "Publish of "+ev.Tree+" "+strconv.FormatInt(ev.Stamp, 10)),
		Event: newEventCard(s, ev, eventCurveW, eventCurveH)}
	if t, ok := s.Tree(ev.Tree); ok && t.Stamp == ev.Stamp {
		v.Latest = true
		for i := range s.Mirrors {
			m := &s.Mirrors[i]
			if mt, ok := m.Tree(ev.Tree); ok && mt.State != status.Fresh {
				v.Laggards = append(v.Laggards, laggard{Name: m.Name, Href: mirrorHref(m.Name), Country: m.Country,
					Tier: m.Tier, Cell: newCell(now, mt)})
			}
		}
	}
	return v
}
