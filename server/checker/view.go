package checker

import (
	"slices"
	"time"
)

// View is an immutable snapshot of what the checker knows: share it
// freely, never change it.
type View struct {
	At      time.Time
	Signal  map[string]int64 // tree → stamp; nil before the first zone
	Mirrors []MirrorView     // in mirrors.toml order
	// Counts is, per tree, how many mirrors carrying it are in each state
	// (the best of their probes).
	Counts map[string]map[State]int
	Events []Event // the last publish events, oldest first
	byName map[string]int
}

// MirrorView is one mirror.
type MirrorView struct {
	Name  string
	Trees []TreeView // in layout order
}

// TreeView is one tree on one mirror. Its Result is the best of the
// latest probes (State Unknown before the first): TIME seen, lag, when
// checked, which protocol and family.
type TreeView struct {
	Result
	// Notified is the state after hysteresis, the one transitions report.
	Notified State
	// Probes are the last result per protocol and IP family.
	Probes []Result
}

// Mirror returns the view of the mirror called name.
func (v *View) Mirror(name string) (MirrorView, bool) {
	if v.byName == nil { // a View built by hand, as in tests
		for _, m := range v.Mirrors {
			if m.Name == name {
				return m, true
			}
		}
		return MirrorView{}, false
	}
	i, ok := v.byName[name]
	if !ok {
		return MirrorView{}, false
	}
	return v.Mirrors[i], true
}

// Tree returns the view of tree on m.
func (m MirrorView) Tree(tree string) (TreeView, bool) {
	for _, t := range m.Trees {
		if t.Tree == tree {
			return t, true
		}
	}
	return TreeView{}, false
}

// view builds the snapshot at now. The probe slices are shared: the core
// replaces them and never changes them in place.
func (c *core) view(now time.Time) *View {
	v := &View{At: now, Signal: c.signal, Mirrors: make([]MirrorView, len(c.order)),
		Counts: map[string]map[State]int{}, byName: make(map[string]int, len(c.order))}
	for i, ms := range c.order {
		mv := MirrorView{Name: ms.m.Name(), Trees: make([]TreeView, len(ms.trees))}
		for j, ts := range ms.trees {
			tv := TreeView{Result: ts.best, Notified: ts.hyst.state, Probes: slices.Clip(ts.probes)}
			tv.Mirror, tv.Tree = mv.Name, ts.tree
			if tv.Notified == "" {
				tv.Notified = Unknown
			}
			mv.Trees[j] = tv
			count(v.Counts, ts.tree, tv.State)
		}
		v.Mirrors[i] = mv
		v.byName[mv.Name] = i
	}
	for _, e := range c.events {
		v.Events = append(v.Events, e.summary())
	}
	return v
}

func count(counts map[string]map[State]int, tree string, s State) {
	m := counts[tree]
	if m == nil {
		m = map[State]int{}
		counts[tree] = m
	}
	m[s]++
}
