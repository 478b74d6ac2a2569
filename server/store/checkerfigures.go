package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// FigureWindows are the spans Figures reports on.
var FigureWindows = [2]time.Duration{7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Figures are a mirror's figures per tree, as of Now.
type Figures struct {
	Mirror string
	Now    time.Time
	Trees  map[string][2]Window // per tree, one per FigureWindows
}

// Window is one tree's figures over one span ending now.
//
// Thinning keeps one result per target and hour after two days, so the
// figures are taken over hours, the same way across the whole span: each
// hour of a target counts as its worst result (as Thin keeps it), and each
// hour of the tree as the best of its targets (protocols and families), as
// the checker rates a mirror. The figures of a span then do not change as
// it is thinned, and the last two days do not outweigh the rest.
type Window struct {
	Span     time.Duration
	Checks   int           // probe results stored in the span
	Hours    int           // hours with at least one result
	FreshPct float64       // percentage of those hours that were fresh
	Readings int           // hours with a TIME reading: fresh, behind or inconsistent
	LagP50   time.Duration // median lag over those hours (fresh counts as 0)
	LagP95   time.Duration // 95th percentile, by nearest rank
}

// sample is one result as the figures see it.
type sample struct {
	target, at int64
	state      int
	lag        int64
}

// worse reports whether a is the one Thin keeps over b.
func (a sample) worse(b sample) bool {
	return a.state > b.state || a.state == b.state && a.at > b.at
}

// better reports whether a rates the tree better than b.
func (a sample) better(b sample) bool {
	return a.state < b.state || a.state == b.state && a.lag < b.lag
}

// Figures returns mirror's figures per tree over each of FigureWindows
// ending at now.
func (c *CheckerDB) Figures(ctx context.Context, mirror string, now time.Time) (Figures, error) {
	f := Figures{Mirror: mirror, Now: now, Trees: map[string][2]Window{}}
	targets, err := c.targetsOf(ctx, mirror, "")
	if err != nil {
		return f, err
	}
	byTree := map[string][]sample{}
	from := now.Add(-slices.Max(FigureWindows[:])).Unix()
	for id, k := range targets {
		ss, err := c.samples(ctx, id, from, now.Unix())
		if err != nil {
			return f, fmt.Errorf("figures of %s: %w", mirror, err)
		}
		byTree[k.Tree] = append(byTree[k.Tree], ss...)
	}
	for tree, ss := range byTree {
		var ws [2]Window
		for i, span := range FigureWindows {
			ws[i] = window(ss, span, now.Add(-span).Unix())
		}
		f.Trees[tree] = ws
	}
	return f, nil
}

// samples reads target id's results in (from, to].
func (c *CheckerDB) samples(ctx context.Context, id, from, to int64) ([]sample, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT at, state, lag FROM results WHERE target = ? AND at > ? AND at <= ?`, id, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sample
	for rows.Next() {
		s := sample{target: id}
		if err := rows.Scan(&s.at, &s.state, &s.lag); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// window computes one tree's figures from its samples newer than from.
func window(ss []sample, span time.Duration, from int64) Window {
	w := Window{Span: span}
	type targetHour struct{ target, hour int64 }
	worst := map[targetHour]sample{}
	for _, s := range ss {
		if s.at <= from {
			continue
		}
		w.Checks++
		k := targetHour{s.target, floorTo(s.at, hourSecs)}
		if old, ok := worst[k]; !ok || s.worse(old) {
			worst[k] = s
		}
	}
	best := map[int64]sample{}
	for k, s := range worst {
		if old, ok := best[k.hour]; !ok || s.better(old) {
			best[k.hour] = s
		}
	}
	var lags []int64
	fresh := 0
	for _, s := range best {
		if s.state == stateCode(checker.Fresh) {
			fresh++
		}
		if s.state <= stateCode(checker.Inconsistent) { // or fresh or behind
			lags = append(lags, s.lag)
		}
	}
	w.Hours, w.Readings = len(best), len(lags)
	if w.Hours > 0 {
		w.FreshPct = 100 * float64(fresh) / float64(w.Hours)
	}
	slices.SortFunc(lags, cmp.Compare)
	w.LagP50 = time.Duration(nearestRank(lags, 50)) * time.Second
	w.LagP95 = time.Duration(nearestRank(lags, 95)) * time.Second
	return w
}

// nearestRank is the p-th percentile of sorted by nearest rank: the
// smallest value with at least p% of the values at or below it; 0 for none.
func nearestRank(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	r := (p*len(sorted) + 99) / 100 // ⌈p·n/100⌉ without rounding error
	return sorted[max(r, 1)-1]
}
