package web

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

func TestNiceTop(t *testing.T) {
	for _, tc := range []struct{ max, step, top float64 }{
		{60, 15, 60}, {61, 15, 75}, {3000, 600, 3000}, {3001, 600, 3600}, {4801, 900, 5400}, {0, 15, 15}, {86400 * 30, 86400 * 4, 86400 * 32},
	} {
		step, top := niceTop(tc.max, timeSteps, 8)
		if step != tc.step || top != tc.top {
			t.Errorf("niceTop(%v) = %v, %v; want %v, %v", tc.max, step, top, tc.step, tc.top)
		}
	}
}

var pathRE = regexp.MustCompile(`([MHVLZ])([0-9.]*)(?: ([0-9.]+))?`)

func TestCurveIsAStepFunction(t *testing.T) {
	pub := time.Date(2026, 11, 30, 11, 40, 0, 0, time.UTC)
	ev := &status.Event{ID: "content-1", Tree: "content", Stamp: pub.Unix(), Published: pub, Carrying: 4, Fresh: 3,
		// Out of order on purpose: the chart sorts.
		Curve:   []status.Point{{AfterSeconds: 300, Percent: 50}, {AfterSeconds: 120, Percent: 25}, {AfterSeconds: 900, Percent: 75}},
		Reached: []status.Reached{{Percent: 50, AfterSeconds: 300}},
		Gate: &status.Gate{Quorum: 1, Started: pub, Committed: pub.Add(30 * time.Second),
			Hosts: []status.GateHost{{Host: "a", FirstSeen: pub.Add(20 * time.Second)}, {Host: "b"}}}}
	p := curve(ev, 500, 200)
	// Axis: 900 s × 1.04 fits 8 ticks of 2 min: top 16 min.
	if n := len(p.XTicks); n != 9 || p.XTicks[8].Label != "16 min" || p.XTicks[8].Pos != p.X1 {
		t.Errorf("x ticks %+v", p.XTicks)
	}
	top := 960.0
	steps := pathRE.FindAllStringSubmatch(p.Line, -1)
	var xs, ys []float64
	for _, s := range steps {
		v, _ := strconv.ParseFloat(s[2], 64)
		switch s[1] {
		case "M":
			xs = append(xs, v)
			y, _ := strconv.ParseFloat(s[3], 64)
			ys = append(ys, y)
		case "H":
			xs = append(xs, v)
		case "V":
			ys = append(ys, v)
		}
	}
	wantX := []float64{p.x(0, top), p.x(120, top), p.x(300, top), p.x(900, top), p.X1}
	wantY := []float64{p.Y0, p.y(25, 100), p.y(50, 100), p.y(75, 100)}
	if !equalF(xs, wantX) || !equalF(ys, wantY) {
		t.Errorf("path %q: x %v y %v; want x %v y %v", p.Line, xs, ys, wantX, wantY)
	}
	if p.Area != p.Line+"V"+num(p.Y0)+"Z" {
		t.Errorf("area %q does not close the line", p.Area)
	}
	// Marks: 50 % reached where the curve got there, 80 and 95 not.
	if len(p.Marks) != 3 || !p.Marks[0].Reached || p.Marks[0].X != p.x(300, top) || p.Marks[1].Reached || p.Marks[2].Reached {
		t.Errorf("marks %+v", p.Marks)
	}
	if mid := (p.Y0 + p.Y1) / 2; p.Marks[0].Y != round1(mid) {
		t.Errorf("the 50 %% mark at y %v, want %v", p.Marks[0].Y, mid)
	}
	// The gate: open from publish to the commit; host a seen, b not.
	if p.Commit == nil || p.Commit.X != p.x(30, top) || p.Open.X0 != p.X0 || p.Open.X1 != p.Commit.X {
		t.Errorf("gate %+v %+v", p.Commit, p.Open)
	}
	if len(p.Hosts) != 1 || p.Hosts[0].X != p.x(20, top) {
		t.Errorf("host ticks %+v", p.Hosts)
	}
	if want := "3 of 4 mirrors carrying content seen fresh; 50 % after 5 min, 80 % not reached, 95 % not reached. The tier-1 gate committed after 30 s."; p.Desc != want {
		t.Errorf("desc %q\nwant %q", p.Desc, want)
	}
}

func equalF(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCurveWithoutData(t *testing.T) {
	p := curve(&status.Event{Tree: "content"}, 500, 200)
	if p.Line != "M46 174H456" || p.Commit != nil || p.Open != nil || len(p.Hosts) != 0 {
		t.Errorf("empty curve: %+v", p)
	}
	// An uncommitted gate is open to the end of the axis.
	pub := time.Unix(1e9, 0)
	p = curve(&status.Event{Published: pub, Gate: &status.Gate{Started: pub}}, 500, 200)
	if p.Commit != nil || p.Open == nil || p.Open.X1 != p.X1 {
		t.Errorf("uncommitted gate: %+v", p.Open)
	}
}

func TestHistoryStrip(t *testing.T) {
	days := func(fresh ...float64) []status.Day {
		var out []status.Day
		for i, f := range fresh {
			worst := status.Fresh
			if f < 100 {
				worst = status.Behind
			}
			out = append(out, status.Day{Date: "2026-11-" + strconv.Itoa(10+i), Checks: 96, FreshPercent: f, Worst: worst, MaxLag: 3600})
		}
		return out
	}
	content := days(100, 50, 0)
	content[2].Worst = status.Unreachable
	vault := days(100, 100, 100, 75)
	vault[3].Checks = 0
	s := historyStrip([][]status.Day{content, vault}, 14)
	if len(s.Cells) != 4 || s.W != 14*8-1 {
		t.Fatalf("%d cells, width %v", len(s.Cells), s.W)
	}
	// Four days, right-aligned: the first at slot 10.
	if s.Cells[0].X != 80 || s.Cells[3].X != 104 {
		t.Errorf("cells at %v … %v", s.Cells[0].X, s.Cells[3].X)
	}
	for i, want := range []struct {
		class  string
		freshH float64
		title  string
	}{
		{"s-fresh", 0, "2026-11-10: fresh in all 192 checks"},
		{"s-behind", 8, "2026-11-11: 50 % fresh, worst behind, max lag 1h"},
		{"s-unreachable", 0, "2026-11-12: 0 % fresh, worst unreachable, max lag 1h"},
		{"s-none", 0, "2026-11-13: no checks"},
	} {
		c := s.Cells[i]
		if c.Class != want.class || c.FreshH != want.freshH || c.Title != want.title {
			t.Errorf("day %d: %+v, want %+v", i, c, want)
		}
	}
	if s.Summary != "Fresh in every check on 1 of the last 14 days (3 with checks)" {
		t.Errorf("summary %q", s.Summary)
	}
	if long := historyStrip([][]status.Day{days(make([]float64, 30)...)}, 14); len(long.Cells) != 14 || long.Cells[0].X != 0 {
		t.Errorf("30 days: %d cells", len(long.Cells))
	}
}

func TestLagChart(t *testing.T) {
	ds := []status.Day{
		{Date: "2026-11-01", Checks: 96, FreshPercent: 100, Worst: status.Fresh},
		{Date: "2026-11-02", Checks: 96, FreshPercent: 50, MaxLag: 5 * 3600, Worst: status.Behind},
		{Date: "2026-11-03", Checks: 0},
	}
	p := lagChart("content", ds, 300, 120)
	if len(p.Bars) != 3 || p.Bars[0].H != 0 || p.Bars[1].Y != p.Y1 || p.Bars[1].Class != "s-behind" {
		t.Errorf("bars %+v", p.Bars)
	}
	// 5 h fits 5 ticks of 1 h (the axis top is 5 h).
	if last := p.YTicks[len(p.YTicks)-1]; last.Label != "5h" || last.Pos != p.Y1 {
		t.Errorf("lag ticks %+v", p.YTicks)
	}
	// The fresh line skips the day without checks.
	if n := len(pathRE.FindAllString(p.Fresh, -1)); n != 2 {
		t.Errorf("fresh line %q: %d points, want 2", p.Fresh, n)
	}
	if p.Desc != "Over 3 days the worst lag was 5h; on average 75 % of checks saw the mirror fresh." {
		t.Errorf("desc %q", p.Desc)
	}
}
