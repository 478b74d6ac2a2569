package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// inputs are the result files of one run.
type inputs struct {
	DNS, Checker, Mirrorlist, Idle, Propagation string
}

// Table is the whole comparison.
type Table struct {
	Generated time.Time `json:"generated"`
	Rows      []Row     `json:"rows"`
	// Spread is the time between the oldest and the newest result: the
	// rows come from one run when it is short.
	SpreadSeconds float64  `json:"spread_seconds"`
	Missing       []string `json:"missing,omitempty"` // result files not found
}

// Row is one measure against its peer.
type Row struct {
	Area    string `json:"area"`
	Measure string `json:"measure"`
	Ours    string `json:"ours"`
	Peer    string `json:"peer"`
	// Ratio is ours against the peer, in the goal's direction: the
	// harness's median of per-round ratios where it reports one (rounds
	// alternate servers), else the ratio of the medians.
	Ratio  float64 `json:"ratio"`
	Goal   string  `json:"goal"`
	Met    bool    `json:"met"`
	Source string  `json:"source"` // the result file
	Date   string  `json:"date"`   // when that file was measured
}

func build(in inputs) (Table, error) {
	var t Table
	var dates []time.Time
	add := func(path string, f func(raw map[string]any) ([]Row, error)) error {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			t.Missing = append(t.Missing, path)
			return nil
		}
		if err != nil {
			return err
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rows, err := f(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		date, _ := raw["date"].(string)
		if d, err := time.Parse(time.RFC3339Nano, date); err == nil {
			dates = append(dates, d)
		}
		for i := range rows {
			rows[i].Source, rows[i].Date = path, date
		}
		t.Rows = append(t.Rows, rows...)
		return nil
	}
	for _, step := range []struct {
		path string
		f    func(map[string]any) ([]Row, error)
	}{{in.DNS, dnsRows}, {in.Mirrorlist, mirrorlistRows}, {in.Checker, checkerRows}, {in.Idle, idleRows}, {in.Propagation, propagationRows}} {
		if err := add(step.path, step.f); err != nil {
			return t, err
		}
	}
	if len(dates) > 0 {
		t.Generated = slices.MaxFunc(dates, time.Time.Compare).UTC()
		t.SpreadSeconds = t.Generated.Sub(slices.MinFunc(dates, time.Time.Compare)).Seconds()
	}
	return t, nil
}

// num reads a number at a path of keys.
func num(m map[string]any, keys ...string) (float64, error) {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("no %s", strings.Join(keys, "."))
		}
		v = mm[k]
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", strings.Join(keys, "."))
	}
	return f, nil
}

func list(m map[string]any, key string) ([]map[string]any, error) {
	raw, ok := m[key].([]any)
	if !ok {
		return nil, fmt.Errorf("no list %s", key)
	}
	var out []map[string]any
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out, nil
}

// dnsRows: signald's qps against NSD per mode (goal ≥ 1.0×), and Knot's.
func dnsRows(m map[string]any) ([]Row, error) {
	sum, err := list(m, "summary")
	if err != nil {
		return nil, err
	}
	qps := map[[2]string]float64{}
	ratio := map[string]float64{} // the harness's own: the median of per-round ratios
	var modes []string
	for _, s := range sum {
		mode, _ := s["mode"].(string)
		server, _ := s["server"].(string)
		q, err := num(s, "qps")
		if err != nil {
			return nil, err
		}
		qps[[2]string{mode, server}] = q
		if r, err := num(s, "qps_vs_nsd"); err == nil && server == "signald" {
			ratio[mode] = r
		}
		if !slices.Contains(modes, mode) {
			modes = append(modes, mode)
		}
	}
	var rows []Row
	for _, mode := range modes {
		ours, nsd := qps[[2]string{mode, "signald"}], qps[[2]string{mode, "nsd"}]
		if ours == 0 || nsd == 0 {
			continue
		}
		r := Row{Area: "DNS", Measure: "queries/s, " + mode, Ours: fmt.Sprintf("%.0f", ours), Peer: fmt.Sprintf("NSD %.0f", nsd),
			Ratio: ours / nsd, Goal: "≥ 1.0× NSD"}
		if v, ok := ratio[mode]; ok {
			r.Ratio = v
		}
		if knot := qps[[2]string{mode, "knot"}]; knot > 0 {
			r.Peer += fmt.Sprintf(", Knot %.0f", knot)
		}
		r.Met = r.Ratio >= 1.0
		rows = append(rows, r)
	}
	return rows, nil
}

func mirrorlistRows(m map[string]any) ([]Row, error) {
	sum, err := list(m, "summary")
	if err != nil {
		return nil, err
	}
	rps := map[string]float64{}
	for _, s := range sum {
		name, _ := s["server"].(string)
		rps[name], _ = num(s, "requests_per_s")
	}
	if rps["signald"] == 0 || rps["nginx"] == 0 {
		return nil, fmt.Errorf("no signald or nginx figure")
	}
	r := Row{Area: "Mirrorlist", Measure: "requests/s (wrk, one core)", Ours: fmt.Sprintf("%.0f", rps["signald"]),
		Peer: fmt.Sprintf("nginx static %.0f", rps["nginx"]), Ratio: rps["signald"] / rps["nginx"], Goal: "≥ 0.8× nginx"}
	if v, err := num(m, "signald_vs_nginx"); err == nil {
		r.Ratio = v // the harness's own: the median of per-round ratios
	}
	r.Met = r.Ratio >= 0.8
	return []Row{r}, nil
}

func checkerRows(m map[string]any) ([]Row, error) {
	sum, err := list(m, "summary")
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, s := range sum {
		n, _ := num(s, "mirrors")
		ours, err1 := num(s, "checker_wall_s")
		peer, err2 := num(s, "mirmon_wall_s")
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		r := Row{Area: "Checker", Measure: fmt.Sprintf("one round of %.0f mirrors, wall time", n),
			Ours: fmt.Sprintf("%.2f s", ours), Peer: fmt.Sprintf("mirmon %.1f s", peer), Ratio: peer / ours, Goal: "≥ 20× mirmon"}
		r.Met = r.Ratio >= 20
		rows = append(rows, r)
	}
	if mem, ok := m["memory"].(map[string]any); ok {
		rss, err := num(mem, "peak_rss_mib")
		n, _ := num(mem, "mirrors")
		if err == nil {
			rows = append(rows, Row{Area: "Checker", Measure: fmt.Sprintf("peak RSS at %.0f mirrors × 3 trees", n),
				Ours: fmt.Sprintf("%.0f MiB", rss), Peer: "—", Goal: "< 200 MiB", Met: rss < 200})
		}
	}
	return rows, nil
}

func idleRows(m map[string]any) ([]Row, error) {
	poll, err1 := num(m, "poll_bytes")
	noop, err2 := num(m, "noop_rsync_bytes")
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	files, _ := num(m, "files")
	return []Row{{Area: "Idle cost", Measure: "bytes on the wire per poll when nothing changed (signed TXT)",
		Ours: fmt.Sprintf("%.0f B", poll), Peer: fmt.Sprintf("no-op rsync of %.0f files %.0f B", files, noop),
		Ratio: noop / poll, Goal: "≤ 1 KiB", Met: poll <= 1024}}, nil
}

// propagationRows: publish → 50/80/100 % fresh on loopback, from the
// demo's calibration file (fresh_after_seconds per mirror).
func propagationRows(m map[string]any) ([]Row, error) {
	raw, ok := m["fresh_after_seconds"].([]any)
	if !ok || len(raw) == 0 {
		return nil, fmt.Errorf("no fresh_after_seconds")
	}
	var after []float64
	for _, v := range raw {
		if f, ok := v.(float64); ok && f >= 0 && !math.IsInf(f, 0) {
			after = append(after, f)
		}
	}
	slices.Sort(after)
	total := len(after)
	if n, err := num(m, "mirrors"); err == nil && int(n) > total {
		total = int(n) // mirrors never fresh count against the shares
	}
	share := func(p int) string {
		need := (p*total + 99) / 100
		if need < 1 || need > len(after) {
			return "not reached"
		}
		return (time.Duration(after[need-1] * float64(time.Second))).Round(100 * time.Millisecond).String()
	}
	interval, _ := num(m, "poll_interval_seconds")
	jitter, _ := num(m, "jitter_seconds")
	return []Row{{Area: "Propagation", Measure: fmt.Sprintf("publish → 50 / 80 / 100 %% of %d loopback mirrors fresh (poll %gs + jitter %gs)", total, interval, jitter),
		Ours: share(50) + " / " + share(80) + " / " + share(100), Peer: "cron 2–4×/day: hours (propsim)", Goal: "80 % in minutes",
		Met: share(80) != "not reached"}}, nil
}

func writeJSON(path string, t Table) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

func writeMarkdown(path string, t Table) error {
	return atomicfile.Write(path, []byte(markdown(t)), 0o644)
}

// markdown renders t; cells are escaped for a markdown table.
func markdown(t Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| area | measure | mirrorsignal | peer | ratio | goal | met |\n|---|---|--:|--:|--:|---|---|\n")
	for _, r := range t.Rows {
		ratio := "—"
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		met := "no"
		if r.Met {
			met = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(r.Area), cell(r.Measure), cell(r.Ours), cell(r.Peer), ratio, cell(r.Goal), met)
	}
	if !t.Generated.IsZero() {
		fmt.Fprintf(&b, "\nMeasured up to %s; the oldest result is %s older.\n", t.Generated.Format(time.RFC3339), (time.Duration(t.SpreadSeconds) * time.Second).String())
	}
	for _, m := range t.Missing {
		fmt.Fprintf(&b, "\nMissing: %s (its rows are absent).\n", cell(m))
	}
	return b.String()
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
