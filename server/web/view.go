package web

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// look is how a state is shown: a CSS class (colour), a symbol and a word,
// so colour is never the only carrier.
type look struct {
	Class, Sym, Word string
	Rank             int // 0 is best
}

var looks = map[string]look{
	status.Fresh:        {"fresh", "✓", "fresh", 0},
	status.Behind:       {"behind", "◔", "behind", 1},
	status.Inconsistent: {"inconsistent", "≠", "inconsistent", 2},
	status.Error:        {"error", "!", "error", 3},
	status.Unreachable:  {"unreachable", "✗", "unreachable", 4},
	status.Unknown:      {"unknown", "?", "unknown", 5},
}

// lookOf maps any state, even one a replica's snapshot made up, to a
// known look.
func lookOf(state string) look {
	if l, ok := looks[state]; ok {
		return l
	}
	return looks[status.Unknown]
}

// nsLook is the look of a name server's state (the name-server watch's
// states).
func nsLook(state string) look {
	switch state {
	case "ok":
		return look{"fresh", "✓", "in step", 0}
	case "lagging":
		return look{"behind", "◔", "lagging", 1}
	case "wrong":
		return look{"inconsistent", "≠", "wrong record", 2}
	case "error":
		return look{"error", "!", "error", 3}
	case "unreachable":
		return look{"unreachable", "✗", "unreachable", 4}
	}
	return look{"unknown", "?", "unknown", 5}
}

// mirrorHref is the link of a mirror's page; names may hold anything.
func mirrorHref(name string) string { return "/mirrors/" + segment(name) }

// eventHref is the link of an event's page.
func eventHref(id string) string { return "/events/" + segment(id) }

// segment escapes s as one path segment. "." and ".." are escaped too:
// a client or the mux would otherwise resolve them as dot segments.
func segment(s string) string {
	if s == "." || s == ".." {
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return url.PathEscape(s)
}

// cell is one mirror's state for one tree in the mirrors table.
type cell struct {
	Carried bool
	look
	Label string // "fresh", "behind 3h", "unreachable"
	Title string
}

func newCell(now time.Time, mt *status.MirrorTree) cell {
	l := lookOf(mt.State)
	c := cell{Carried: true, look: l, Label: l.Word}
	if mt.LagSeconds > 0 && (mt.State == status.Behind || mt.State == status.Inconsistent) {
		c.Label += " " + lag(mt.LagSeconds)
	}
	title := []string{l.Word}
	if mt.Stamp > 0 {
		title = append(title, "TIME "+strconv.FormatInt(mt.Stamp, 10)+" ("+utc(epochTime(mt.Stamp))+")")
	}
	title = append(title, "checked "+ago(now, mt.Checked))
	if mt.Err != "" {
		title = append(title, mt.Err)
	}
	c.Title = strings.Join(title, "; ")
	return c
}

// row is one mirror in the mirrors table.
type row struct {
	Name, Href string
	Country    string
	Tier       int
	Protocols  []string
	Families   string
	Cells      []cell // one per shown tree
	Checked    time.Time
	LagText    string // the worst lag over the shown trees
	History    strip  // the shown trees' last days, worst of them

	m *status.Mirror // for sorting
}

// protoOrder is the order protocols are listed in.
var protoOrder = []string{"https", "http", "rsync", "ftp"}

func protocols(m *status.Mirror) []string {
	seen := map[string]bool{}
	for _, t := range m.Trees {
		for p, u := range t.URLs {
			if u != "" {
				seen[p] = true
			}
		}
	}
	var out []string
	for _, p := range protoOrder {
		if seen[p] {
			out = append(out, p)
			delete(seen, p)
		}
	}
	rest := make([]string, 0, len(seen))
	for p := range seen {
		rest = append(rest, p)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func families(m *status.Mirror) string {
	if len(m.Families) == 0 {
		return "any"
	}
	var out []string
	for _, f := range m.Families {
		switch f {
		case "ipv4":
			out = append(out, "v4")
		case "ipv6":
			out = append(out, "v6")
		default:
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// shownTrees are the trees the table has a column for.
func shownTrees(s *status.Snapshot, q query) []string {
	if q.Tree != "" {
		return []string{q.Tree}
	}
	out := make([]string, 0, len(s.Trees))
	for _, t := range s.Trees {
		out = append(out, t.Name)
	}
	return out
}

// rows filters and sorts the snapshot's mirrors for q.
func rows(s *status.Snapshot, q query, now time.Time) []row {
	trees := shownTrees(s, q)
	var out []row
	for i := range s.Mirrors {
		m := &s.Mirrors[i]
		if !matches(m, q, trees) {
			continue
		}
		r := row{Name: m.Name, Href: mirrorHref(m.Name), Country: m.Country, Tier: m.Tier,
			Protocols: protocols(m), Families: families(m), m: m}
		var hist [][]status.Day
		for _, t := range trees {
			mt, ok := m.Tree(t)
			if !ok {
				r.Cells = append(r.Cells, cell{})
				continue
			}
			r.Cells = append(r.Cells, newCell(now, mt))
			hist = append(hist, mt.Days)
			if mt.Checked.After(r.Checked) {
				r.Checked = mt.Checked
			}
		}
		r.History = historyStrip(hist, stripDays)
		r.LagText = lagText(m, trees)
		out = append(out, r)
	}
	sortRows(out, q, trees)
	return out
}

// matches applies q's filters: a state filter matches a mirror when any
// shown tree it carries is in that state.
func matches(m *status.Mirror, q query, trees []string) bool {
	if q.Country != "" && !strings.EqualFold(m.Country, q.Country) {
		return false
	}
	if q.Tier != 0 && m.Tier != q.Tier {
		return false
	}
	carries, inState := false, q.State == ""
	for _, t := range trees {
		if mt, ok := m.Tree(t); ok {
			carries = true
			if mt.State == q.State || (q.State == status.Unknown && lookOf(mt.State).Class == "unknown") {
				inState = true
			}
		}
	}
	return (carries || q.Tree == "" && len(m.Trees) == 0) && inState
}

// lagKey is how far behind a mirror is over the shown trees: the worst
// lag, with a tree never seen (no TIME) the worst of all; then its worst
// state's rank.
func lagKey(m *status.Mirror, trees []string) (int64, int) {
	var worst int64
	rank := 0
	for _, t := range trees {
		mt, ok := m.Tree(t)
		if !ok {
			continue
		}
		l := mt.LagSeconds
		if mt.State != status.Fresh && mt.Stamp == 0 {
			l = math.MaxInt64
		}
		worst = max(worst, l)
		rank = max(rank, lookOf(mt.State).Rank)
	}
	return worst, rank
}

func sortRows(rs []row, q query, trees []string) {
	byName := func(a, b row) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Name, b.Name))
	}
	var key func(a, b row) int
	switch q.Sort {
	case sortName:
		key = func(a, b row) int { return 0 }
	case sortCountry:
		key = func(a, b row) int { return cmp.Compare(a.Country, b.Country) }
	case sortTier:
		key = func(a, b row) int { return cmp.Or(cmp.Compare(a.Tier, b.Tier), cmp.Compare(a.Country, b.Country)) }
	case sortLag:
		key = func(a, b row) int {
			la, ra := lagKey(a.m, trees)
			lb, rb := lagKey(b.m, trees)
			return cmp.Or(cmp.Compare(la, lb), cmp.Compare(ra, rb))
		}
	case sortChecked:
		key = func(a, b row) int { return a.Checked.Compare(b.Checked) }
	}
	slices.SortStableFunc(rs, func(a, b row) int {
		c := cmp.Or(key(a, b), byName(a, b))
		if q.Desc {
			return -c
		}
		return c
	})
}

// lagText is the worst lag column: "unknown" when a shown tree has no TIME
// seen, "–" when the mirror carries none of them.
func lagText(m *status.Mirror, trees []string) string {
	carries := false
	for _, t := range trees {
		_, ok := m.Tree(t)
		carries = carries || ok
	}
	if !carries {
		return "–"
	}
	l, _ := lagKey(m, trees)
	if l == math.MaxInt64 {
		return "unknown"
	}
	return lag(l)
}
