package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// HistoryDays is how many UTC days History reports, today included.
const HistoryDays = 30

// Day is one UTC day of a mirror's history for a tree, rated by hours as
// Window is: each hour is the best of the tree's targets in that hour.
type Day struct {
	Date      time.Time     // midnight UTC
	Checks    int           // probe results stored that day
	Hours     int           // hours with at least one result
	FreshPct  float64       // percentage of those hours that were fresh
	MaxLag    time.Duration // the largest lag of those hours
	Worst     checker.State // the worst of those hours; Unknown when none
	hourBests map[int64]sample
}

// History is a mirror's figures and daily history per tree, as of Now.
type History struct {
	Figures
	Days map[string][]Day // per tree, oldest first, HistoryDays days ending today
}

// History reads mirror's results of the last HistoryDays days (and the
// figure windows) once and returns both its figures and its days.
func (c *CheckerDB) History(ctx context.Context, mirror string, now time.Time) (History, error) {
	h := History{Figures: Figures{Mirror: mirror, Now: now, Trees: map[string][2]Window{}}, Days: map[string][]Day{}}
	targets, err := c.targetsOf(ctx, mirror, "")
	if err != nil {
		return h, err
	}
	first := floorTo(now.Unix(), daySecs) - (HistoryDays-1)*daySecs
	from := min(now.Add(-slices.Max(FigureWindows[:])).Unix(), first)
	byTree := map[string][]sample{}
	for id, k := range targets {
		ss, err := c.samples(ctx, id, from, now.Unix())
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", mirror, err)
		}
		byTree[k.Tree] = append(byTree[k.Tree], ss...)
	}
	for tree, ss := range byTree {
		var ws [2]Window
		for i, span := range FigureWindows {
			ws[i] = window(ss, span, now.Add(-span).Unix())
		}
		h.Figures.Trees[tree] = ws
		h.Days[tree] = days(ss, first)
	}
	return h, nil
}

// days rates the samples by UTC day from first (a midnight) on.
func days(ss []sample, first int64) []Day {
	out := make([]Day, HistoryDays)
	for i := range out {
		out[i] = Day{Date: time.Unix(first+int64(i)*daySecs, 0).UTC(), Worst: checker.Unknown, hourBests: map[int64]sample{}}
	}
	type targetHour struct{ target, hour int64 }
	worst := map[targetHour]sample{}
	for _, s := range ss {
		i := (s.at - first) / daySecs
		if s.at < first || i >= HistoryDays {
			continue
		}
		out[i].Checks++
		k := targetHour{s.target, floorTo(s.at, hourSecs)}
		if old, ok := worst[k]; !ok || s.worse(old) {
			worst[k] = s
		}
	}
	for k, s := range worst {
		d := &out[(k.hour-first)/daySecs]
		if old, ok := d.hourBests[k.hour]; !ok || s.better(old) {
			d.hourBests[k.hour] = s
		}
	}
	for i := range out {
		d := &out[i]
		fresh, worstCode := 0, -1
		for _, s := range d.hourBests {
			if s.state == stateCode(checker.Fresh) {
				fresh++
			}
			if s.state <= stateCode(checker.Inconsistent) {
				d.MaxLag = max(d.MaxLag, time.Duration(s.lag)*time.Second)
			}
			worstCode = max(worstCode, s.state)
		}
		d.Hours = len(d.hourBests)
		if d.Hours > 0 {
			d.FreshPct = 100 * float64(fresh) / float64(d.Hours)
			d.Worst = codeState(worstCode)
		}
		d.hourBests = nil
	}
	return out
}
