package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"text/template"
	"time"

	"github.com/mirrorsignal/mirrorsignal/cmd/propsim/sim"
)

// Plot geometry, in SVG user units. The time axis is logarithmic from
// plotMin to plotMax so that minutes and days fit on one plot.
const (
	plotW, plotH           = 900, 440
	marginL, marginR       = 64, 230
	marginT, marginB       = 36, 52
	plotMin, plotMax       = time.Minute, 48 * time.Hour
	curveSamples           = 400
	markRadius             = 3.5
	legendLine, legendStep = 22, 20
)

// palette gives each strategy a colour, in order (Okabe–Ito, legible to
// colour-blind readers).
var palette = []string{"#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#D55E00", "#0072B2", "#F0E442"}

// ticks on the time axis.
var ticks = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 48 * time.Hour}

// svgTemplate draws the plot. Every text goes through x (HTML escaping,
// valid in XML); numbers are formatted by the code.
var svgTemplate = template.Must(template.New("svg").Funcs(template.FuncMap{"x": html.EscapeString}).Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="title">
<title id="title">{{x .Title}}</title>
<rect width="{{.W}}" height="{{.H}}" fill="#ffffff"/>
<text x="{{.Left}}" y="20" font-size="14" font-weight="bold">{{x .Title}}</text>
{{range .Goals}}<line x1="{{.X}}" y1="{{$.Top}}" x2="{{.X}}" y2="{{$.Bottom}}" stroke="#999999" stroke-dasharray="2,3"/>
<text x="{{.X}}" y="{{$.Top}}" dy="-4" text-anchor="middle" fill="#666666">{{x .Label}}</text>
{{end}}{{range .HLines}}<line x1="{{$.Left}}" y1="{{.Y}}" x2="{{$.Right}}" y2="{{.Y}}" stroke="#bbbbbb" stroke-dasharray="4,3"/>
<text x="{{$.Left}}" y="{{.Y}}" dx="-6" dy="4" text-anchor="end">{{x .Label}}</text>
{{end}}{{range .XTicks}}<line x1="{{.X}}" y1="{{$.Bottom}}" x2="{{.X}}" y2="{{$.TickEnd}}" stroke="#000000"/>
<text x="{{.X}}" y="{{$.TickEnd}}" dy="14" text-anchor="middle">{{x .Label}}</text>
{{end}}<line x1="{{.Left}}" y1="{{.Bottom}}" x2="{{.Right}}" y2="{{.Bottom}}" stroke="#000000"/>
<line x1="{{.Left}}" y1="{{.Top}}" x2="{{.Left}}" y2="{{.Bottom}}" stroke="#000000"/>
<text x="{{.Left}}" y="{{.Top}}" dx="-6" dy="4" text-anchor="end">100 %</text>
<text x="{{.Left}}" y="{{.Bottom}}" dx="-6" dy="4" text-anchor="end">0 %</text>
<text x="{{.MidX}}" y="{{.H}}" dy="-8" text-anchor="middle">time after the publish (log scale)</text>
{{range .Lines}}<polyline fill="none" stroke="{{.Colour}}" stroke-width="2" points="{{.Points}}"><title>{{x .Name}}</title></polyline>
{{range .Marks}}<circle cx="{{.X}}" cy="{{.Y}}" r="{{$.R}}" fill="{{.Colour}}"><title>{{x .Label}}</title></circle>
{{end}}<line x1="{{$.LegendX}}" y1="{{.LegendY}}" x2="{{$.LegendX2}}" y2="{{.LegendY}}" stroke="{{.Colour}}" stroke-width="3"/>
<text x="{{$.LegendText}}" y="{{.LegendY}}" dy="4">{{x .Name}}</text>
{{end}}</svg>
`))

type svgData struct {
	Title                                   string
	W, H, Left, Right, Top, Bottom, TickEnd int
	MidX, LegendX, LegendX2, LegendText     int
	R                                       float64
	Goals, HLines, XTicks                   []svgLabel
	Lines                                   []svgLine
}

type svgLabel struct {
	X, Y  string
	Label string
}

type svgLine struct {
	Name, Colour, Points string
	LegendY              int
	Marks                []svgMark
}

type svgMark struct {
	X, Y, Colour, Label string
}

// WriteSVG draws % fresh against time for every strategy of s, with marks
// where each line reaches 50, 80 and 95 %.
func (s Scenario) WriteSVG(w io.Writer) error {
	d := svgData{Title: fmt.Sprintf("%s: %% of mirrors fresh after a publish", s.Name),
		W: plotW, H: plotH, Left: marginL, Right: plotW - marginR, Top: marginT, Bottom: plotH - marginB,
		TickEnd: plotH - marginB + 5, MidX: (marginL + plotW - marginR) / 2, R: markRadius,
		LegendX: plotW - marginR + 16, LegendX2: plotW - marginR + 16 + legendLine, LegendText: plotW - marginR + 22 + legendLine}
	for _, t := range ticks {
		d.XTicks = append(d.XTicks, svgLabel{X: num(xOf(t)), Label: short(t)})
	}
	for _, g := range []time.Duration{GoalTime1, GoalTime2} {
		d.Goals = append(d.Goals, svgLabel{X: num(xOf(g)), Label: "goal " + short(g)})
	}
	for _, q := range []float64{0.50, 0.80, 0.95} {
		d.HLines = append(d.HLines, svgLabel{Y: num(yOf(q)), Label: fmt.Sprintf("%.0f %%", q*100)})
	}
	for i, r := range s.results {
		d.Lines = append(d.Lines, line(r, palette[i%len(palette)], marginT+10+i*legendStep))
	}
	return svgTemplate.Execute(w, d)
}

func line(r sim.Result, colour string, legendY int) svgLine {
	l := svgLine{Name: r.Strategy, Colour: colour, LegendY: legendY}
	var pts strings.Builder
	ratio := math.Pow(float64(plotMax)/float64(plotMin), 1/float64(curveSamples-1))
	t := float64(plotMin)
	for k := 0; k < curveSamples; k++ {
		at := time.Duration(t)
		if k > 0 {
			pts.WriteByte(' ')
		}
		fmt.Fprintf(&pts, "%s,%s", num(xOf(at)), num(yOf(r.ShareAt(at))))
		t *= ratio
	}
	l.Points = pts.String()
	for _, q := range []float64{0.50, 0.80, 0.95} {
		at, ok := r.TimeTo(q)
		if !ok || at > plotMax {
			continue
		}
		l.Marks = append(l.Marks, svgMark{X: num(xOf(max(at, plotMin))), Y: num(yOf(q)), Colour: colour,
			Label: fmt.Sprintf("%s: %.0f %% at %s", r.Strategy, q*100, short(at.Round(time.Second)))})
	}
	return l
}

// xOf places t on the log time axis, clamped to the plot.
func xOf(t time.Duration) float64 {
	t = min(max(t, plotMin), plotMax)
	f := math.Log(float64(t)/float64(plotMin)) / math.Log(float64(plotMax)/float64(plotMin))
	return marginL + f*float64(plotW-marginL-marginR)
}

// yOf places a share on the vertical axis.
func yOf(share float64) float64 {
	return float64(plotH-marginB) - share*float64(plotH-marginB-marginT)
}

// num formats a coordinate; a NaN (never produced) becomes 0.
func num(f float64) string {
	if !isNum(f) {
		return "0"
	}
	return fmt.Sprintf("%.1f", f)
}
