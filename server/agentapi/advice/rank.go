package advice

import (
	"cmp"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// Proximity groups, nearest first; tier-1 sources come after all of them.
const (
	sameNetblock = iota
	sameCountry
	sameContinent
	elsewhere
)

// candidate is one source a mirror may be advised.
type candidate struct {
	name string // the source mirror
	url  string // its rsync URL for the tree
	// Order keys.
	tier1 bool
	near  int
	lag   time.Duration
	at    time.Time
	index int // in the view, i.e. mirrors.toml order
}

// rank returns the sources for req's tree, best first: every mirror
// but req that carries tree over rsync, opted in as a source or is tier-1,
// and whose best latest probe of tree is fresh for signal.
func rank(f *mirrors.Fleet, v *checker.View, req mirrors.Mirror, tree string, signal int64) []candidate {
	var out []candidate
	for i, mv := range v.Mirrors {
		c, ok := candidateOf(f, mv, req, tree, signal)
		if ok {
			c.index = i
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareCandidates)
	return out
}

func candidateOf(f *mirrors.Fleet, mv checker.MirrorView, req mirrors.Mirror, tree string, signal int64) (candidate, bool) {
	if mv.Name == req.Name() {
		return candidate{}, false
	}
	m, ok := f.Mirror(mv.Name)
	if !ok || !(m.SyncSource() || m.Tier() == mirrors.Tier1) {
		return candidate{}, false
	}
	u, ok := m.URL(tree, mirrors.Rsync)
	if !ok || !usableSource(u) {
		return candidate{}, false
	}
	tv, ok := mv.Tree(tree)
	if !ok || !fresh(tv.Result, signal) {
		return candidate{}, false
	}
	return candidate{name: m.Name(), url: u, tier1: m.Tier() == mirrors.Tier1, near: proximity(req, m),
		lag: tv.Lag, at: tv.At}, true
}

// fresh reports whether r shows the tree at or past signal.
func fresh(r checker.Result, signal int64) bool {
	return r.State == checker.Fresh && r.Stamp >= signal
}

// proximity is the group of source m as seen from req.
func proximity(req, m mirrors.Mirror) int {
	switch {
	case overlap(req, m):
		return sameNetblock
	case req.Country() != "" && req.Country() == m.Country():
		return sameCountry
	case req.Continent() != "" && req.Continent() == m.Continent():
		return sameContinent
	}
	return elsewhere
}

// overlap reports whether a netblock of a shares addresses with one of
// b's (one contains the other).
func overlap(a, b mirrors.Mirror) bool {
	bb := b.Netblocks()
	for _, p := range a.Netblocks() {
		for _, q := range bb {
			if p.Overlaps(q) {
				return true
			}
		}
	}
	return false
}

func compareCandidates(a, b candidate) int {
	if a.tier1 != b.tier1 {
		if b.tier1 {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.near, b.near); c != 0 {
		return c
	}
	if c := cmp.Compare(a.lag, b.lag); c != 0 {
		return c
	}
	if c := b.at.Compare(a.at); c != 0 {
		return c
	}
	return cmp.Compare(a.index, b.index)
}
