package store

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

func TestNearestRank(t *testing.T) {
	twenty := make([]int64, 20)
	for i := range twenty {
		twenty[i] = int64(i + 1)
	}
	for _, tt := range []struct {
		name   string
		sorted []int64
		p      int
		want   int64
	}{
		{"empty", nil, 50, 0},
		{"one", []int64{7}, 95, 7},
		{"median of four", []int64{1, 2, 3, 4}, 50, 2},
		{"p95 of four", []int64{1, 2, 3, 4}, 95, 4},
		{"median of twenty", twenty, 50, 10},
		{"p95 of twenty", twenty, 95, 19}, // 0.95·20 is 19 exactly
		{"p0", twenty, 0, 1},
		{"p100", twenty, 100, 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := nearestRank(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("nearestRank(%d) = %d, want %d", tt.p, got, tt.want)
			}
		})
	}
}

// figuresHistory is known data for mirror "a" as of checkerT0 (an hour
// boundary), and noise on mirror "b".
//
// content, 20 hours ending 3 days ago: HTTPS answers fresh at :05 and
// behind by h minutes at :35 of hour h (so the hour is behind by h
// minutes); rsync answers fresh in hours 1–5 and is unreachable after.
// The tree's hour is the better of the two: fresh in hours 1–5, behind by
// h minutes in hours 6–20. 10 more hours of HTTPS errors 15 days ago
// count only in the 30-day window; a result 31 days ago in neither.
//
// altarch, 4 hours a day ago: behind by 10, 20, 30, 40 s.
func figuresHistory() []checker.Result {
	var rs []checker.Result
	base := checkerT0.Add(-72 * time.Hour)
	for h := 1; h <= 20; h++ {
		hour := base.Add(-time.Duration(h) * time.Hour)
		lag := time.Duration(h) * time.Minute
		rs = append(rs,
			result("a", "content", mirrors.HTTPS, "", hour.Add(5*time.Minute), checker.Fresh, 0),
			result("a", "content", mirrors.HTTPS, "", hour.Add(35*time.Minute), checker.Behind, lag))
		rsync := result("a", "content", mirrors.Rsync, mirrors.IPv4, hour.Add(20*time.Minute), checker.Fresh, 0)
		if h > 5 {
			rsync.State = checker.Unreachable
		}
		rs = append(rs, rsync)
		rs = append(rs, result("b", "content", mirrors.HTTPS, "", hour, checker.Fresh, 0))
	}
	for h := range 10 {
		rs = append(rs, result("a", "content", mirrors.HTTPS, "", checkerT0.Add(-15*24*time.Hour+time.Duration(h)*time.Hour), checker.Error, 0))
	}
	rs = append(rs, result("a", "content", mirrors.HTTPS, "", checkerT0.Add(-31*24*time.Hour), checker.Fresh, 0))
	for i := 1; i <= 4; i++ {
		at := checkerT0.Add(-24*time.Hour + time.Duration(i)*time.Hour)
		rs = append(rs, result("a", "altarch", mirrors.HTTPS, "", at, checker.Behind, time.Duration(10*i)*time.Second))
	}
	return rs
}

// TestCheckerFigures computes figures on known data, and again after the
// data is thinned: they must not change.
func TestCheckerFigures(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, filepath.Join(t.TempDir(), "checker.db"))
	record(t, c, figuresHistory()...)
	week, month := FigureWindows[0], FigureWindows[1]
	want := map[string][2]Window{
		"content": {
			{Span: week, Checks: 60, Hours: 20, FreshPct: 25, Readings: 20, LagP50: 10 * time.Minute, LagP95: 19 * time.Minute},
			{Span: month, Checks: 70, Hours: 30, FreshPct: 100 * 5.0 / 30, Readings: 20, LagP50: 10 * time.Minute, LagP95: 19 * time.Minute},
		},
		"altarch": {
			{Span: week, Checks: 4, Hours: 4, Readings: 4, LagP50: 20 * time.Second, LagP95: 40 * time.Second},
			{Span: month, Checks: 4, Hours: 4, Readings: 4, LagP50: 20 * time.Second, LagP95: 40 * time.Second},
		},
	}
	check := func(t *testing.T, wantChecks map[string][2]int) {
		t.Helper()
		f, err := c.Figures(ctx, "a", checkerT0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Mirror != "a" || !f.Now.Equal(checkerT0) || len(f.Trees) != len(want) {
			t.Fatalf("Figures = %+v", f)
		}
		for tree, ws := range want {
			for i, w := range ws {
				w.Checks = wantChecks[tree][i]
				got := f.Trees[tree][i]
				if math.Abs(got.FreshPct-w.FreshPct) < 1e-9 {
					got.FreshPct = w.FreshPct
				}
				if got != w {
					t.Errorf("%s over %s:\n got %+v\nwant %+v", tree, w.Span, got, w)
				}
			}
		}
	}
	t.Run("as recorded", func(t *testing.T) {
		check(t, map[string][2]int{"content": {60, 70}, "altarch": {4, 4}})
	})
	t.Run("thinned", func(t *testing.T) {
		if _, err := c.Thin(ctx, checkerT0, Policy{}); err != nil {
			t.Fatal(err)
		}
		// HTTPS keeps one result per hour of content: 20 fewer checks.
		check(t, map[string][2]int{"content": {40, 50}, "altarch": {4, 4}})
	})
	t.Run("unknown mirror", func(t *testing.T) {
		f, err := c.Figures(ctx, "nosuch", checkerT0)
		if err != nil || len(f.Trees) != 0 {
			t.Fatalf("Figures(nosuch) = %+v, %v", f, err)
		}
	})
}

// BenchmarkFigures: one mirror with 6 targets per tree and 3 trees, 48 h
// of 5-minute results and 28 days of hourly ones, as thinning leaves it.
func BenchmarkFigures(b *testing.B) {
	ctx := context.Background()
	c := openChecker(b, filepath.Join(b.TempDir(), "checker.db"))
	var rs []checker.Result
	for _, tree := range []string{"content", "altarch", "debug"} {
		for _, proto := range []mirrors.Protocol{mirrors.HTTP, mirrors.HTTPS, mirrors.Rsync} {
			for _, fam := range []mirrors.Family{mirrors.IPv4, mirrors.IPv6} {
				for at := checkerT0.Add(-30 * 24 * time.Hour); at.Before(checkerT0); {
					state, lag := checker.Fresh, time.Duration(0)
					if at.Minute()%3 == 0 {
						state, lag = checker.Behind, time.Duration(at.Hour())*time.Minute
					}
					rs = append(rs, result("a", tree, proto, fam, at, state, lag))
					if checkerT0.Sub(at) > 48*time.Hour {
						at = at.Add(time.Hour)
					} else {
						at = at.Add(5 * time.Minute)
					}
				}
			}
		}
	}
	record(b, c, rs...)
	for b.Loop() {
		if _, err := c.Figures(ctx, "a", checkerT0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rs)), "rows")
}
