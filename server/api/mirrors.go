package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Status serves the read-only status API on the public listener:
// GET /api/v1/mirrors[?tree=&state=&country=], /api/v1/mirrors/{name},
// /api/v1/events and /api/v1/events/{id}, from the snapshot its source
// holds. Bodies are encoded once per snapshot and served with ETag,
// Last-Modified and conditional GET.
type Status struct {
	src   Source
	cache bodyCache
}

// NewStatus returns the status routes reading src.
func NewStatus(src Source) *Status { return &Status{src: src} }

// Register adds the status routes to mux.
func (s *Status) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+apiv1.PathMirrors, s.getMirrors)
	mux.HandleFunc("GET "+apiv1.PathMirrors+"/{name}", s.getMirror)
	mux.HandleFunc("GET "+apiv1.PathEvents, s.getEvents)
	mux.HandleFunc("GET "+apiv1.PathEvents+"/{id}", s.getEvent)
}

// mirrorFilter is the validated query of GET /api/v1/mirrors.
type mirrorFilter struct {
	tree, state, country string
}

func (f mirrorFilter) key() string {
	return "mirrors?" + f.tree + "&" + f.state + "&" + f.country
}

// parseMirrorFilter validates the query against the snapshot: a tree it
// has, a known state, a two-letter country code.
func parseMirrorFilter(snap *status.Snapshot, q map[string][]string) (mirrorFilter, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := mirrorFilter{tree: get(apiv1.ParamTree), state: get(apiv1.ParamState), country: strings.ToUpper(get(apiv1.ParamCountry))}
	if _, ok := q[apiv1.ParamTree]; ok {
		if _, known := snap.Tree(f.tree); !known {
			return f, "unknown tree " + quoteShort(f.tree) + " (trees: " + strings.Join(treeNames(snap), ", ") + ")"
		}
	}
	if _, ok := q[apiv1.ParamState]; ok && !slices.Contains(apiv1.States, f.state) {
		return f, "unknown state " + quoteShort(f.state) + " (states: " + strings.Join(apiv1.States, ", ") + ")"
	}
	if _, ok := q[apiv1.ParamCountry]; ok && !isCountryCode(f.country) {
		return f, "country " + quoteShort(get(apiv1.ParamCountry)) + " is not an ISO 3166-1 alpha-2 code"
	}
	return f, ""
}

func isCountryCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

func treeNames(snap *status.Snapshot) []string {
	out := make([]string, len(snap.Trees))
	for i, t := range snap.Trees {
		out[i] = t.Name
	}
	return out
}

func (s *Status) getMirrors(w http.ResponseWriter, r *http.Request) {
	q, ok := readQuery(w, r, apiv1.ParamTree, apiv1.ParamState, apiv1.ParamCountry)
	if !ok {
		return
	}
	snap := s.src.Current()
	f, reason := parseMirrorFilter(snap, q)
	if reason != "" {
		jsonError(w, http.StatusBadRequest, reason)
		return
	}
	s.serve(w, r, snap, f.key(), func() any { return MirrorsOf(snap, f.tree, f.state, f.country) })
}

func (s *Status) getMirror(w http.ResponseWriter, r *http.Request) {
	if _, ok := readQuery(w, r); !ok {
		return
	}
	snap := s.src.Current()
	name := r.PathValue("name")
	m, found := snap.Mirror(name)
	if !found {
		jsonError(w, http.StatusNotFound, "no mirror "+quoteShort(name))
		return
	}
	s.serve(w, r, snap, "mirror/"+name, func() any { return MirrorOf(m, true, "") })
}

// serve answers with the cached body of key, building it with build.
func (s *Status) serve(w http.ResponseWriter, r *http.Request, snap *status.Snapshot, key string, build func() any) {
	b, err := s.cache.get(snap, key, build)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	serveBody(w, r, b)
}

// MirrorsOf is the API view of the snapshot's mirrors, filtered: tree
// (non-empty) keeps the mirrors carrying it and only its state, state
// keeps the mirrors in that state (for tree, else for any tree), country
// keeps one country.
func MirrorsOf(snap *status.Snapshot, tree, state, country string) apiv1.Mirrors {
	out := apiv1.Mirrors{Generated: rfc3339Time(snap.Generated), Trees: []apiv1.TreeStatus{}, Mirrors: []apiv1.Mirror{}}
	for _, t := range snap.Trees {
		if tree == "" || t.Name == tree {
			out.Trees = append(out.Trees, treeStatusOf(t))
		}
	}
	for i := range snap.Mirrors {
		m := &snap.Mirrors[i]
		if country != "" && m.Country != country {
			continue
		}
		v := MirrorOf(m, false, tree)
		if tree != "" && len(v.Trees) == 0 {
			continue
		}
		if state != "" && !slices.ContainsFunc(v.Trees, func(t apiv1.MirrorTree) bool { return t.State == state }) {
			continue
		}
		out.Mirrors = append(out.Mirrors, v)
	}
	return out
}

func treeStatusOf(t status.Tree) apiv1.TreeStatus {
	out := apiv1.TreeStatus{Name: t.Name, Stamp: t.Stamp, Counts: make(map[string]int, len(apiv1.States))}
	if t.Stamp > 0 {
		out.Published = rfc3339(t.Stamp)
	}
	for _, st := range apiv1.States {
		out.Counts[st] = t.Counts[st]
		out.Carrying += t.Counts[st]
	}
	if out.Carrying > 0 {
		out.FreshPercent = percent(out.Counts[status.Fresh], out.Carrying)
	}
	return out
}

// MirrorOf is the API view of one mirror; full adds URLs, probes, recent
// results and days; tree (non-empty) keeps only that tree.
func MirrorOf(m *status.Mirror, full bool, tree string) apiv1.Mirror {
	out := apiv1.Mirror{Name: m.Name, Country: m.Country, Continent: m.Continent, Tier: m.Tier,
		Protocols: protocolsOf(m), Families: m.Families, Bandwidth: m.Bandwidth, SyncSource: m.SyncSource,
		Trees: []apiv1.MirrorTree{}}
	for i := range m.Trees {
		if tree == "" || m.Trees[i].Tree == tree {
			out.Trees = append(out.Trees, mirrorTreeOf(&m.Trees[i], full))
		}
	}
	return out
}

func protocolsOf(m *status.Mirror) []string {
	out := []string{}
	for _, t := range m.Trees {
		for p := range t.URLs {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

func mirrorTreeOf(t *status.MirrorTree, full bool) apiv1.MirrorTree {
	out := apiv1.MirrorTree{Tree: t.Tree, State: orUnknown(t.State), Notified: t.Notified, Stamp: t.Stamp, Signal: t.Signal,
		LagSeconds: t.LagSeconds, LastCheck: rfc3339Time(t.Checked), Error: t.Err}
	if t.Stamp > 0 {
		out.StampTime = rfc3339(t.Stamp)
	}
	if f := t.Figures; f != nil {
		out.History = &apiv1.History{FreshPercent7d: f.Fresh7d, FreshPercent30d: f.Fresh30d, LagP50Seconds: f.LagP50, LagP95Seconds: f.LagP95}
	}
	if !full {
		return out
	}
	out.URLs = t.URLs
	out.Probes = probesOf(t.Probes)
	out.Recent = probesOf(t.Recent)
	for _, d := range t.Days {
		out.Days = append(out.Days, apiv1.Day{Date: d.Date, Checks: d.Checks, FreshPercent: d.FreshPercent, MaxLagSeconds: d.MaxLag, Worst: d.Worst})
	}
	return out
}

func probesOf(ps []status.Probe) []apiv1.Probe {
	var out []apiv1.Probe
	for _, p := range ps {
		out = append(out, apiv1.Probe{Protocol: p.Proto, Family: p.Family, State: orUnknown(p.State), At: rfc3339Time(p.At),
			Stamp: p.Stamp, LagSeconds: p.LagSeconds, LatencySeconds: p.LatencySeconds, Error: p.Err})
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return status.Unknown
	}
	return s
}

// rfc3339Time formats t in UTC to the second; "" for the zero time.
func rfc3339Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// percent is 100·n/of rounded to two decimals.
func percent(n, of int) float64 {
	return float64(int64(10000*float64(n)/float64(of)+0.5)) / 100
}
