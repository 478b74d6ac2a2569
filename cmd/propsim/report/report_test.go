package report

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/cmd/propsim/sim"
)

const hostile = `evil <script>alert("x")</script> & | ]]> ` + "`"

// outcome is two strategies: one reaching every mark, one stuck at 50 %.
func outcome() sim.Outcome {
	c := sim.DefaultConfig(4)
	return sim.Outcome{Name: hostile, Config: c, Tiers: [3]int{1, 2, 1}, MaxChildren: 2, Results: []sim.Result{
		{Strategy: hostile, Mirrors: 4, Alive: 4, GateAt: time.Minute, End: time.Hour, PeakTier1: 3,
			Fresh: []time.Duration{2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 14 * time.Minute}},
		{Strategy: "stuck", Mirrors: 4, Alive: 4, GateAt: -1, End: time.Hour, PeakTier1: 31,
			Fresh: []time.Duration{time.Hour, time.Hour}},
	}}
}

func TestFromOutcome(t *testing.T) {
	s := FromOutcome(outcome())
	good, stuck := s.Strategies[0], s.Strategies[1]
	if *good.TimeTo["50"] != (5*time.Minute).Seconds() || *good.TimeTo["80"] != (14*time.Minute).Seconds() || *good.TimeTo["99"] != (14*time.Minute).Seconds() {
		t.Errorf("times %v", good.TimeTo)
	}
	if !good.GoalMet || !good.UnderCap {
		t.Errorf("goal %v, under cap %v: 100 %% at 14m, peak 3 of 30", good.GoalMet, good.UnderCap)
	}
	if stuck.TimeTo["80"] != nil || stuck.GateS != nil || stuck.GoalMet || stuck.UnderCap {
		t.Errorf("stuck: %+v", stuck)
	}
	r := &Report{Scenarios: []Scenario{s}}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Scenarios []struct {
			Strategies []struct {
				TimeTo map[string]*float64 `json:"time_to_s"`
			} `json:"strategies"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if v, ok := back.Scenarios[0].Strategies[1].TimeTo["80"]; !ok || v != nil {
		t.Errorf("unreached mark in JSON: %v %v, want null", v, ok)
	}
}

// Names reach the markdown escaped: no raw markup, no table-breaking pipe.
func TestMarkdownEscapes(t *testing.T) {
	s := FromOutcome(outcome())
	s.Plot = "propsim-1.svg"
	r := &Report{Command: "propsim -x `rm`\n", Scenarios: []Scenario{s}}
	var b strings.Builder
	r.WriteMarkdown(&b)
	md := b.String()
	for _, bad := range []string{"<script>", "| ]]>", "`rm`", "-x `"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q:\n%s", bad, md)
		}
	}
	for _, want := range []string{`\<script\>`, "| 5m | 14m | 14m | 14m | 100.0 % | 1m |", "| — | — | — |", "missed", "met", "(propsim-1.svg)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 15 {
			t.Errorf("table row with a wrong cell count: %s", line)
		}
	}
}

// The SVG is well-formed XML with the hostile name as text only, one line
// per strategy, and a mark at each of 50/80/95 % reached in the plot.
func TestSVG(t *testing.T) {
	var b strings.Builder
	if err := FromOutcome(outcome()).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	dec := xml.NewDecoder(strings.NewReader(svg))
	lines, circles, texts := 0, 0, []string{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			switch v.Name.Local {
			case "polyline":
				lines++
			case "circle":
				circles++
			case "script":
				t.Fatal("a script element")
			}
		case xml.CharData:
			texts = append(texts, string(v))
		}
	}
	if lines != 2 || circles != 4 {
		t.Errorf("%d lines and %d marks, want 2 and 4 (the stuck strategy reaches 50 %% at 1h: that is a mark too)", lines, circles)
	}
	if !strings.Contains(strings.Join(texts, "\n"), hostile) {
		t.Error("the strategy name is not in the SVG's text")
	}
}
