package checker

import (
	"slices"
	"time"
)

// DefaultEvents is how many publish events are kept in memory.
const DefaultEvents = 50

// Percentiles are the shares of the mirrors carrying a tree whose times to
// fresh each Event reports.
var percentiles = [...]int{50, 80, 95, 99, 100}

// maxCurvePoints bounds an Event's Curve.
const maxCurvePoints = 200

// event is one publish of a tree: its signal moved to stamp. after holds,
// per mirror first seen fresh for it, the time from publish to that probe.
type event struct {
	tree      string
	stamp     int64
	published time.Time // the stamp as a time
	learned   time.Time // when the checker saw the new signal
	carrying  int       // mirrors carrying the tree then
	after     []time.Duration
	sum       *Event // the summary of after, until the next credit
}

// credit records a mirror first seen fresh for e by a probe at.
func (e *event) credit(at time.Time) {
	e.after = append(e.after, max(at.Sub(e.published), 0))
	e.sum = nil
}

// Event is the propagation of one publish, for the view.
type Event struct {
	Tree      string
	Stamp     int64
	Published time.Time // the stamp as a time: where the times count from
	Learned   time.Time // when the checker saw the signal change
	Carrying  int       // mirrors carrying the tree when it was learned
	Fresh     int       // of those, seen fresh for it so far
	// Reached gives, for 50, 80, 95, 99 and 100 % of Carrying, the time
	// from publish to the probe that saw that share fresh; a share not
	// reached yet is absent. Each is late by at most the re-check interval.
	Reached []Reached
	// Curve is the share fresh (0–100 %) against the time since publish,
	// a step function of at most 200 points, for plotting.
	Curve []Point
}

// Reached is the time to a share of the mirrors.
type Reached struct {
	Percent int
	After   time.Duration
}

// Point is one step of a propagation curve.
type Point struct {
	After   time.Duration
	Percent float64
}

// summary turns e into its view, computed again only after a credit.
func (e *event) summary() Event {
	if e.sum == nil {
		v := e.summarize()
		e.sum = &v
	}
	return *e.sum
}

// summarize is the pure part of summary.
func (e *event) summarize() Event {
	sorted := slices.Clone(e.after)
	slices.Sort(sorted)
	v := Event{Tree: e.tree, Stamp: e.stamp, Published: e.published, Learned: e.learned,
		Carrying: e.carrying, Fresh: len(sorted)}
	v.Reached = reached(sorted, e.carrying)
	v.Curve = curve(sorted, e.carrying)
	return v
}

// reached gives the time to each percentile of carrying mirrors, from the
// sorted delays; a share needs ⌈p·carrying/100⌉ mirrors.
func reached(sorted []time.Duration, carrying int) []Reached {
	var out []Reached
	for _, p := range percentiles {
		need := (p*carrying + 99) / 100
		if need < 1 || need > len(sorted) {
			continue
		}
		out = append(out, Reached{Percent: p, After: sorted[need-1]})
	}
	return out
}

// curve is the step function of the share fresh over time, one point per
// distinct delay, thinned to at most maxCurvePoints (the last kept).
func curve(sorted []time.Duration, carrying int) []Point {
	if carrying <= 0 {
		return nil
	}
	var pts []Point
	for i, d := range sorted {
		p := Point{After: d, Percent: min(100, 100*float64(i+1)/float64(carrying))}
		if n := len(pts); n > 0 && pts[n-1].After == d {
			pts[n-1] = p
			continue
		}
		pts = append(pts, p)
	}
	if len(pts) <= maxCurvePoints {
		return pts
	}
	step := (len(pts) + maxCurvePoints - 2) / (maxCurvePoints - 1)
	thin := make([]Point, 0, maxCurvePoints)
	for i := step - 1; i < len(pts)-1; i += step {
		thin = append(thin, pts[i])
	}
	return append(thin, pts[len(pts)-1])
}
