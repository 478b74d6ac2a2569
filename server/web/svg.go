package web

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// This file computes the geometry of the pages' inline SVG charts: plain
// numbers, and texts that the templates escape. It writes no markup; the
// only strings it builds are SVG path data made of numbers.

// tick is one labelled axis position.
type tick struct {
	Pos   float64
	Label string
}

// frame is a chart's size and its plot area.
type frame struct {
	W, H   float64 // the viewBox
	X0, X1 float64 // plot area, left to right
	Y0, Y1 float64 // plot area, bottom to top (Y0 > Y1)
}

func (f frame) x(v, max float64) float64 {
	return round1(f.X0 + (f.X1-f.X0)*clamp(v/max, 0, 1))
}

func (f frame) y(v, max float64) float64 {
	return round1(f.Y0 - (f.Y0-f.Y1)*clamp(v/max, 0, 1))
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return lo
	}
	return math.Max(lo, math.Min(hi, v))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// niceTop picks, from steps, the smallest step that covers max in at most
// n ticks, and returns it with the axis top (a multiple of it).
func niceTop(max float64, steps []float64, n int) (step, top float64) {
	for _, s := range steps {
		if max <= s*float64(n) {
			return s, math.Max(s, math.Ceil(max/s)*s)
		}
	}
	s := steps[len(steps)-1]
	for max > s*float64(n) {
		s *= 2
	}
	return s, math.Max(s, math.Ceil(max/s)*s)
}

// Time steps of the propagation axis, in seconds.
var timeSteps = []float64{15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeTick labels a position on a time axis with step's unit.
func timeTick(sec, step float64) string {
	switch {
	case sec == 0:
		return "0"
	case step < 60:
		return fmt.Sprintf("%.0f s", sec)
	case step < 3600:
		return fmt.Sprintf("%.0f min", sec/60)
	default:
		return num(math.Round(sec/360)/10) + " h"
	}
}

// curveMarks are the shares the propagation chart marks.
var curveMarks = []int{50, 80, 95}

// curveMark is one of curveMarks on a curve.
type curveMark struct {
	Percent int
	Y       float64
	Reached bool
	X       float64 // where it was reached
	Label   string
}

// gateTick is a moment of the tier-1 gate on the time axis.
type gateTick struct {
	X     float64
	Label string
}

// curvePlot is a propagation chart: the share of mirrors fresh (y)
// against the time after publish (x), as a step function.
type curvePlot struct {
	frame
	Line, Area     string // path data
	XTicks, YTicks []tick
	Marks          []curveMark
	Open           *gateSpan  // the gate from start to commit
	Commit         *gateTick  // the commit, when committed
	Hosts          []gateTick // tier-1 hosts seen with the stamp
	Title, Desc    string
}

// gateSpan is the stretch of time the gate was open.
type gateSpan struct{ X0, X1 float64 }

// curve computes the propagation chart of ev in a w×h box.
func curve(ev *status.Event, w, h float64) curvePlot {
	p := curvePlot{frame: frame{W: w, H: h, X0: 46, X1: w - 44, Y0: h - 26, Y1: 10}}
	pts := slices.Clone(ev.Curve)
	slices.SortStableFunc(pts, func(a, b status.Point) int { return cmpFloat(a.AfterSeconds, b.AfterSeconds) })
	max := 60.0
	if n := len(pts); n > 0 {
		max = math.Max(max, pts[n-1].AfterSeconds)
	}
	if g := ev.Gate; g != nil {
		max = math.Max(max, g.Committed.Sub(ev.Published).Seconds())
		for _, hst := range g.Hosts {
			max = math.Max(max, hst.FirstSeen.Sub(ev.Published).Seconds())
		}
	}
	step, top := niceTop(max*1.04, timeSteps, 8)
	for t := 0.0; t <= top+step/2; t += step {
		p.XTicks = append(p.XTicks, tick{Pos: p.x(t, top), Label: timeTick(t, step)})
	}
	for _, v := range []float64{0, 25, 50, 75, 100} {
		p.YTicks = append(p.YTicks, tick{Pos: p.y(v, 100), Label: num(v) + " %"})
	}
	p.Line, p.Area = stepPath(p.frame, pts, top)
	p.Marks = marks(p.frame, ev, top)
	p.gate(ev, top)
	p.Title = fmt.Sprintf("Propagation of %s %d: share of mirrors fresh by time after publish", ev.Tree, ev.Stamp)
	p.Desc = curveDesc(ev)
	return p
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stepPath is the step function's line, and the area under it.
func stepPath(f frame, pts []status.Point, top float64) (line, area string) {
	var b strings.Builder
	fmt.Fprintf(&b, "M%s %s", num(f.x(0, top)), num(f.y(0, 100)))
	for _, pt := range pts {
		fmt.Fprintf(&b, "H%sV%s", num(f.x(pt.AfterSeconds, top)), num(f.y(pt.Percent, 100)))
	}
	fmt.Fprintf(&b, "H%s", num(f.X1))
	line = b.String()
	return line, line + "V" + num(f.Y0) + "Z"
}

func marks(f frame, ev *status.Event, top float64) []curveMark {
	var out []curveMark
	for _, pc := range curveMarks {
		m := curveMark{Percent: pc, Y: f.y(float64(pc), 100),
			Label: fmt.Sprintf("%d %% not reached yet", pc)}
		for _, r := range ev.Reached {
			if r.Percent == pc {
				m.Reached, m.X = true, f.x(r.AfterSeconds, top)
				m.Label = fmt.Sprintf("%d %% of mirrors fresh after %s", pc, after(r.AfterSeconds))
			}
		}
		out = append(out, m)
	}
	return out
}

func (p *curvePlot) gate(ev *status.Event, top float64) {
	g := ev.Gate
	if g == nil {
		return
	}
	start := g.Started.Sub(ev.Published).Seconds()
	end := top
	if !g.Committed.IsZero() {
		end = g.Committed.Sub(ev.Published).Seconds()
		p.Commit = &gateTick{X: p.x(end, top), Label: fmt.Sprintf("tier-1 gate committed after %s (quorum %d of %d)",
			after(end), g.Quorum, len(g.Hosts))}
	}
	p.Open = &gateSpan{X0: p.x(start, top), X1: p.x(end, top)}
	for _, h := range g.Hosts {
		if h.FirstSeen.IsZero() {
			continue
		}
		at := h.FirstSeen.Sub(ev.Published).Seconds()
		p.Hosts = append(p.Hosts, gateTick{X: p.x(at, top), Label: fmt.Sprintf("tier-1 %s served the stamp after %s", h.Host, after(at))})
	}
}

// curveDesc is the chart's text alternative.
func curveDesc(ev *status.Event) string {
	var parts []string
	for _, pc := range curveMarks {
		s := fmt.Sprintf("%d %% not reached", pc)
		for _, r := range ev.Reached {
			if r.Percent == pc {
				s = fmt.Sprintf("%d %% after %s", pc, after(r.AfterSeconds))
			}
		}
		parts = append(parts, s)
	}
	d := fmt.Sprintf("%d of %d mirrors carrying %s seen fresh; %s.", ev.Fresh, ev.Carrying, ev.Tree, strings.Join(parts, ", "))
	if g := ev.Gate; g != nil {
		if g.Committed.IsZero() {
			d += " The tier-1 gate has not committed."
		} else {
			d += fmt.Sprintf(" The tier-1 gate committed after %s.", after(g.Committed.Sub(ev.Published).Seconds()))
		}
	}
	return d
}

// stripDays is how many days the status page's history strip shows.
const stripDays = 14

// stripCell is one day of a history strip: a full-height column
// coloured by the day's worst state, with a fresh bar from the bottom as
// high as the share of checks that saw the mirror fresh. A fully fresh day
// is all fresh; a day without checks is a low grey stub.
type stripCell struct {
	X, W   float64
	Class  string  // the worst state's fill
	FreshY float64 // top of the fresh bar; FreshH 0 when none
	FreshH float64
	Y, H   float64 // the column
	Title  string
}

// strip is a mirror's recent history over the shown trees.
type strip struct {
	W, H    float64
	Cells   []stripCell
	Summary string
}

// dayOf is one day of several trees' histories: the worst of them.
type dayOf struct {
	status.Day
	trees int
}

// mergeDays lines up the last n days of each tree's history (oldest
// first, by date) and keeps, per day, the lowest fresh share, the worst
// lag and the worst state.
func mergeDays(hist [][]status.Day, n int) []dayOf {
	byDate := map[string]*dayOf{}
	var dates []string
	for _, days := range hist {
		for _, d := range days {
			m, ok := byDate[d.Date]
			if !ok {
				m = &dayOf{Day: d}
				byDate[d.Date] = m
				dates = append(dates, d.Date)
			} else {
				m.Checks += d.Checks
				m.FreshPercent = math.Min(m.FreshPercent, d.FreshPercent)
				m.MaxLag = max(m.MaxLag, d.MaxLag)
				if lookOf(d.Worst).Rank > lookOf(m.Worst).Rank {
					m.Worst = d.Worst
				}
			}
			m.trees++
		}
	}
	slices.Sort(dates)
	if len(dates) > n {
		dates = dates[len(dates)-n:]
	}
	out := make([]dayOf, 0, len(dates))
	for _, d := range dates {
		out = append(out, *byDate[d])
	}
	return out
}

// historyStrip draws the last n days of the trees' histories, padded on
// the left with empty days so strips line up.
func historyStrip(hist [][]status.Day, n int) strip {
	const cw, gap, h = 7.0, 1.0, 16.0
	days := mergeDays(hist, n)
	s := strip{W: float64(n)*(cw+gap) - gap, H: h}
	pad := n - len(days)
	clean, seen := 0, 0
	for i, d := range days {
		c := stripCell{X: float64(i+pad) * (cw + gap), W: cw, Class: "s-none", Y: h - 3, H: 3, Title: d.Date + ": no checks"}
		if d.Checks > 0 {
			seen++
			fh := round1(h * clamp(d.FreshPercent, 0, 100) / 100)
			c.Y, c.H, c.Class = 0, h, "s-"+lookOf(d.Worst).Class
			if fh >= h {
				c.Class = "s-fresh"
			} else if fh > 0 {
				c.FreshY, c.FreshH = round1(h-fh), fh
			}
			c.Title = fmt.Sprintf("%s: %s fresh, worst %s, max lag %s", d.Date, percent(d.FreshPercent), lookOf(d.Worst).Word, lag(d.MaxLag))
			if d.FreshPercent >= 100 {
				clean++
				c.Title = fmt.Sprintf("%s: fresh in all %d checks", d.Date, d.Checks)
			}
		}
		s.Cells = append(s.Cells, c)
	}
	s.Summary = fmt.Sprintf("Fresh in every check on %d of the last %d days (%d with checks)", clean, n, seen)
	return s
}

// lagBar is one day of the 30-day lag chart.
type lagBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// lagPlot is a mirror's worst lag per day (bars, left axis) and share of
// fresh checks per day (line, right axis) for one tree.
type lagPlot struct {
	frame
	Bars           []lagBar
	Fresh          string // path data of the fresh share
	YTicks, PTicks []tick
	XTicks         []tick
	Title, Desc    string
}

// Lag steps of the lag chart's axis, in seconds.
var lagSteps = []float64{900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800}

// lagChart draws days (oldest first) in a w×h box.
func lagChart(tree string, days []status.Day, w, h float64) lagPlot {
	p := lagPlot{frame: frame{W: w, H: h, X0: 48, X1: w - 44, Y0: h - 24, Y1: 10}}
	var max float64
	worst, freshSum, checked := int64(0), 0.0, 0
	for _, d := range days {
		max = math.Max(max, float64(d.MaxLag))
		worst = int64(math.Max(float64(worst), float64(d.MaxLag)))
		if d.Checks > 0 {
			freshSum += d.FreshPercent
			checked++
		}
	}
	step, top := niceTop(math.Max(max, 3600), lagSteps, 5)
	for v := 0.0; v <= top+step/2; v += step {
		p.YTicks = append(p.YTicks, tick{Pos: p.y(v, top), Label: lag(int64(v))})
	}
	for _, v := range []float64{0, 50, 100} {
		p.PTicks = append(p.PTicks, tick{Pos: p.y(v, 100), Label: num(v) + " %"})
	}
	n := math.Max(float64(len(days)), 1)
	slot := (p.X1 - p.X0) / n
	var line strings.Builder
	for i, d := range days {
		x := p.X0 + slot*float64(i)
		b := lagBar{X: round1(x + 1), W: round1(math.Max(slot-2, 1)), Class: "s-" + lookOf(d.Worst).Class,
			Title: fmt.Sprintf("%s: max lag %s, %s fresh in %d checks, worst %s", d.Date, lag(d.MaxLag), percent(d.FreshPercent), d.Checks, d.Worst)}
		b.Y = p.y(float64(d.MaxLag), top)
		b.H = round1(p.Y0 - b.Y)
		p.Bars = append(p.Bars, b)
		if d.Checks > 0 {
			cmd := "L"
			if line.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&line, "%s%s %s", cmd, num(round1(x+slot/2)), num(p.y(d.FreshPercent, 100)))
		}
		if i%7 == 0 || i == len(days)-1 && i%7 > 3 {
			p.XTicks = append(p.XTicks, tick{Pos: round1(x + slot/2), Label: shortDate(d.Date)})
		}
	}
	p.Fresh = line.String()
	p.Title = fmt.Sprintf("%s: worst lag and share of fresh checks per day, last %d days", tree, len(days))
	mean := 0.0
	if checked > 0 {
		mean = freshSum / float64(checked)
	}
	p.Desc = fmt.Sprintf("Over %d days the worst lag was %s; on average %s of checks saw the mirror fresh.", len(days), lag(worst), percent(math.Round(mean*10)/10))
	return p
}

// shortDate turns YYYY-MM-DD into MM-DD for an axis.
func shortDate(d string) string {
	if len(d) == 10 {
		return d[5:]
	}
	return d
}
