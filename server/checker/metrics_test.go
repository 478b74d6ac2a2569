package checker

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func treeView(mirror, tree string, state State, stamp int64, lag time.Duration, at time.Time) TreeView {
	return TreeView{Result: Result{Key: Key{Mirror: mirror, Tree: tree, Proto: "https"}, State: state, Stamp: stamp, Lag: lag, At: at}, Notified: state}
}

// TestMirrorSeries: per mirror and tree, lag, fresh and state come from
// the latest view, and a mirror that left the list leaves no series.
func TestMirrorSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	m.update(&View{At: t0, Mirrors: []MirrorView{
		{Name: "a", Trees: []TreeView{treeView("a", "content", Fresh, 100, 0, t0), treeView("a", "vault", Behind, 50, time.Hour, t0)}},
		{Name: "b", Trees: []TreeView{treeView("b", "content", Unreachable, 0, 0, t0)}},
	}}, 10)
	got := gather(t, reg)
	for name, want := range map[string]float64{
		`mirrorsignal_mirror_fresh{mirror="a",tree="content"}`:                        1,
		`mirrorsignal_mirror_fresh{mirror="a",tree="vault"}`:                          0,
		`mirrorsignal_mirror_fresh{mirror="b",tree="content"}`:                        0,
		`mirrorsignal_mirror_lag_seconds{mirror="a",tree="vault"}`:                    3600,
		`mirrorsignal_mirror_lag_seconds{mirror="a",tree="content"}`:                  0,
		`mirrorsignal_mirror_state{mirror="a",state="behind",tree="vault"}`:           1,
		`mirrorsignal_mirror_state{mirror="b",state="unreachable",tree="content"}`:    1,
		`mirrorsignal_mirror_last_check_timestamp_seconds{mirror="b",tree="content"}`: 1_800_000_000,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if _, ok := got[`mirrorsignal_mirror_lag_seconds{mirror="b",tree="content"}`]; ok {
		t.Error("an unreachable mirror has a lag")
	}
	if _, ok := got[`mirrorsignal_mirror_state{mirror="a",state="fresh",tree="vault"}`]; ok {
		t.Error("a state the mirror is not in is exported")
	}
	m.update(&View{At: t0.Add(time.Minute), Mirrors: []MirrorView{
		{Name: "a", Trees: []TreeView{treeView("a", "content", Fresh, 100, 0, t0)}},
	}}, 10)
	for name := range gather(t, reg) {
		if strings.Contains(name, `mirror="b"`) || strings.Contains(name, `tree="vault"`) {
			t.Errorf("%s left behind after the mirror left the list", name)
		}
	}
}

// TestProbeErrorKinds: failed probes are counted by protocol and the
// reason their error wraps; unknown text is "other".
func TestProbeErrorKinds(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := newMetrics(reg)
	at := time.Unix(1_800_000_000, 0)
	fail := func(proto mirrors.Protocol, state State, err error) Result {
		r := Result{Key: Key{Proto: proto}, State: state, At: at}
		if err != nil {
			r.Err = err.Error()
		}
		return r
	}
	for _, r := range []Result{
		fail("https", Error, fmt.Errorf("%w: %w", probe.ErrTLS, errors.New("x509: unknown authority"))),
		fail("https", Error, fmt.Errorf("%w: %w", probe.ErrTLS, errors.New("expired"))),
		fail("http", Unreachable, fmt.Errorf("%w: %w", probe.ErrUnreachable, errors.New("connection refused"))),
		fail("http", Error, fmt.Errorf("%w 404", probe.ErrHTTPStatus)),
		fail("rsync", Error, fmt.Errorf("%w: %w", probe.ErrTimeout, errors.New("i/o timeout"))),
		fail("http", Inconsistent, errors.New("repomd.xml of baseos-9 matches no master version")),
		fail("http", Error, errors.New("something new")),
		fail("http", Fresh, nil),
	} {
		m.observe(r, at)
	}
	got := gather(t, reg)
	for name, want := range map[string]float64{
		`mirrorsignal_checker_probe_errors_total{kind="tls",protocol="https"}`:         2,
		`mirrorsignal_checker_probe_errors_total{kind="unreachable",protocol="http"}`:  1,
		`mirrorsignal_checker_probe_errors_total{kind="http_status",protocol="http"}`:  1,
		`mirrorsignal_checker_probe_errors_total{kind="timeout",protocol="rsync"}`:     1,
		`mirrorsignal_checker_probe_errors_total{kind="inconsistent",protocol="http"}`: 1,
		`mirrorsignal_checker_probe_errors_total{kind="other",protocol="http"}`:        1,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	n := 0
	for name := range got {
		if strings.HasPrefix(name, "mirrorsignal_checker_probe_errors_total") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d error series, want 6 (a fresh probe is no error)", n)
	}
}

// histogram returns the sample count and sum of the propagation histogram
// of tree.
func histogram(t *testing.T, reg *prometheus.Registry, tree string) (uint64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mirrorsignal_propagation_seconds" {
			continue
		}
		for _, mm := range mf.GetMetric() {
			if mm.GetLabel()[0].GetValue() == tree {
				return mm.GetHistogram().GetSampleCount(), mm.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

// TestPropagationHistogram: each mirror is observed once per publish, at
// the probe that first saw it fresh; publishes known before the checker's
// first view (a restart) and mirrors added after a publish are not.
func TestPropagationHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := newMetrics(reg)
	t0 := time.Unix(1_800_000_000, 0)
	pub := t0.Add(time.Minute)
	old := Event{Tree: "content", Stamp: t0.Add(-time.Hour).Unix(), Published: t0.Add(-time.Hour), Learned: t0, Carrying: 2, Fresh: 1}
	view := func(at time.Time, events []Event, trees ...TreeView) *View {
		v := &View{At: at, Events: events}
		for _, tv := range trees {
			v.Mirrors = append(v.Mirrors, MirrorView{Name: tv.Mirror, Trees: []TreeView{tv}})
		}
		return v
	}
	// Start: an event restored from before the restart, a fresh.
	m.update(view(t0, []Event{old}, treeView("a", "content", Fresh, old.Stamp, 0, t0), treeView("b", "content", Behind, 1, time.Hour, t0)), 0)
	if n, _ := histogram(t, reg, "content"); n != 0 {
		t.Fatalf("%d observations of a publish from before the start", n)
	}
	// A publish: a seen fresh 30 s after it, b still behind.
	e := Event{Tree: "content", Stamp: pub.Unix(), Published: pub, Learned: pub.Add(5 * time.Second), Carrying: 2, Fresh: 1}
	at1 := pub.Add(30 * time.Second)
	m.update(view(at1, []Event{old, e}, treeView("a", "content", Fresh, e.Stamp, 0, at1), treeView("b", "content", Behind, 1, time.Hour, t0)), 0)
	// A later view with a probed again: no second observation.
	m.update(view(at1.Add(time.Minute), []Event{old, e}, treeView("a", "content", Fresh, e.Stamp, 0, at1.Add(time.Minute)), treeView("b", "content", Behind, 1, time.Hour, t0)), 0)
	if n, sum := histogram(t, reg, "content"); n != 1 || sum != 30 {
		t.Fatalf("after a: %d observations, sum %v; want 1, 30", n, sum)
	}
	// b fresh 10 minutes after the publish; c joins fresh (added after it).
	e.Fresh = 2
	at2 := pub.Add(10 * time.Minute)
	m.update(view(at2, []Event{old, e}, treeView("a", "content", Fresh, e.Stamp, 0, at1), treeView("b", "content", Fresh, e.Stamp, 0, at2),
		treeView("c", "content", Fresh, e.Stamp, 0, at2)), 0)
	if n, sum := histogram(t, reg, "content"); n != 2 || sum != 630 {
		t.Fatalf("after b: %d observations, sum %v; want 2, 630", n, sum)
	}
	if got := gather(t, reg); got[`mirrorsignal_checker_publish_events_total{tree="content"}`] != 1 ||
		got[`mirrorsignal_propagation_latest_fresh_ratio{tree="content"}`] != 1 ||
		got[`mirrorsignal_propagation_latest_publish_timestamp_seconds{tree="content"}`] != float64(e.Stamp) {
		t.Fatalf("events %v", got)
	}
}

// TestExpositionLint: promtool accepts the checker's exposition.
func TestExpositionLint(t *testing.T) {
	promtool := testtool.Require(t, "promtool")[0]
	reg := prometheus.NewRegistry()
	m, _ := newMetrics(reg)
	at := time.Unix(1_800_000_000, 0)
	m.observe(Result{Key: Key{Proto: "https"}, State: Error, Err: probe.ErrTLS.Error(), At: at, Latency: time.Second}, at)
	m.update(&View{At: at, Counts: map[string]map[State]int{"content": {Fresh: 1}},
		Mirrors: []MirrorView{{Name: "a", Trees: []TreeView{treeView("a", "content", Fresh, 1, 0, at)}}},
		Events:  []Event{{Tree: "content", Stamp: 1, Published: time.Unix(1, 0), Learned: at, Carrying: 1, Fresh: 1}}}, 5)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = rec.Body
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	if len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("promtool lint findings:\n%s", out)
	}
}
