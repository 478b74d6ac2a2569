package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// TestCheckerHistoryDays rates known results by UTC day: each hour is the
// best of the tree's targets, the day the share of fresh hours, its
// largest lag and its worst hour; the figures are those Figures gives.
func TestCheckerHistoryDays(t *testing.T) {
	c := openChecker(t, t.TempDir()+"/checker.db")
	now := time.Date(2026, 11, 30, 12, 30, 0, 0, time.UTC)
	yesterday := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	record(t, c,
		result("a", "content", mirrors.HTTPS, "", yesterday.Add(10*time.Hour), checker.Fresh, 0),
		result("a", "content", mirrors.Rsync, "", yesterday.Add(10*time.Hour+time.Minute), checker.Unreachable, 0),
		result("a", "content", mirrors.HTTPS, "", yesterday.Add(11*time.Hour), checker.Behind, 10*time.Minute),
		result("a", "content", mirrors.HTTPS, "", yesterday.Add(11*time.Hour+30*time.Minute), checker.Fresh, 0),
		result("a", "content", mirrors.HTTPS, "", now.Add(-9*time.Hour), checker.Error, 0),
		result("a", "content", mirrors.HTTPS, "", now.Add(-40*24*time.Hour), checker.Fresh, 0), // before the days
		result("b", "content", mirrors.HTTPS, "", yesterday.Add(10*time.Hour), checker.Behind, time.Hour),
	)
	ctx := context.Background()
	h, err := c.History(ctx, "a", now)
	if err != nil {
		t.Fatal(err)
	}
	ds := h.Days["content"]
	if len(ds) != HistoryDays || !ds[len(ds)-1].Date.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%d days, the last %v: want %d ending today", len(ds), ds[len(ds)-1].Date, HistoryDays)
	}
	want := map[int]Day{
		HistoryDays - 2: {Date: yesterday, Checks: 4, Hours: 2, FreshPct: 50, MaxLag: 10 * time.Minute, Worst: checker.Behind},
		HistoryDays - 1: {Date: yesterday.Add(24 * time.Hour), Checks: 1, Hours: 1, FreshPct: 0, Worst: checker.Error},
	}
	for i, d := range ds {
		w, ok := want[i]
		if !ok {
			w = Day{Date: yesterday.AddDate(0, 0, i-(HistoryDays-2)), Worst: checker.Unknown}
		}
		if !reflect.DeepEqual(d, w) {
			t.Errorf("day %d: %+v, want %+v", i, d, w)
		}
	}
	f, err := c.Figures(ctx, "a", now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Figures, f) {
		t.Errorf("history figures %+v, want Figures' %+v", h.Figures, f)
	}
}
