package checker

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// metrics are the checker's own; a nil Registerer leaves them unregistered.
type metrics struct {
	probes   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mirrors  *prometheus.GaugeVec
	planned  prometheus.Gauge
	achieved prometheus.Gauge
	window   minuteWindow

	// Per probe error kind, per tree propagation, and the per-mirror
	// series read from the latest view at scrape time (so a mirror gone
	// from the list leaves no series behind).
	errors      *prometheus.CounterVec
	propagation *prometheus.HistogramVec
	events      *prometheus.CounterVec
	latest      atomic.Pointer[View]
	prop        propagationTracker
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirrorsignal_checker_probes_total", Help: "Probes of TIME files by protocol and resulting state.",
		}, []string{"protocol", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mirrorsignal_checker_probe_duration_seconds", Help: "Time one probe took, by protocol.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"protocol"}),
		mirrors: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_checker_mirrors", Help: "Mirrors carrying each tree, by the best state of their latest probes.",
		}, []string{"tree", "state"}),
		planned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mirrorsignal_checker_probes_planned_per_minute", Help: "Probes per minute the base schedule asks for (fast re-checks and check-ins come on top).",
		}),
		achieved: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mirrorsignal_checker_probes_achieved_per_minute", Help: "Probes finished in the last minute; below planned means the checker cannot keep up.",
		}),
	}
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mirrorsignal_checker_probe_errors_total",
		Help: "Probes that read no usable TIME, or a repomd.xml that matched no master version, by protocol and kind (" + strings.Join(errorKindNames(), ", ") + ").",
	}, []string{"protocol", "kind"})
	m.propagation = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mirrorsignal_propagation_seconds",
		Help:    "Time from a publish to the probe that first saw a mirror fresh for it, by tree (mirrors in the list when the checker learned the publish).",
		Buckets: []float64{60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400},
	}, []string{"tree"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mirrorsignal_checker_publish_events_total", Help: "Publishes the checker learned (the tree's signal moved forward), by tree.",
	}, []string{"tree"})
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.probes, m.duration, m.mirrors, m.planned, m.achieved,
		m.errors, m.propagation, m.events, viewCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts one probe.
func (m *metrics) observe(r Result, now time.Time) {
	m.probes.WithLabelValues(string(r.Proto), string(r.State)).Inc()
	m.duration.WithLabelValues(string(r.Proto)).Observe(r.Latency.Seconds())
	m.window.add(now)
	if r.State == Error || r.State == Unreachable || r.State == Inconsistent {
		m.errors.WithLabelValues(string(r.Proto), errorKind(r)).Inc()
	}
}

// update sets the gauges from a new view and the planned rate.
func (m *metrics) update(v *View, plannedPerMinute float64) {
	m.mirrors.Reset()
	for tree, states := range v.Counts {
		for s, n := range states {
			m.mirrors.WithLabelValues(tree, string(s)).Set(float64(n))
		}
	}
	m.planned.Set(plannedPerMinute)
	m.achieved.Set(float64(m.window.count(v.At)))
	m.latest.Store(v)
	m.prop.update(v, m)
}

// minuteWindow counts events over the last minute in one-second buckets.
type minuteWindow struct {
	mu      sync.Mutex
	buckets [60]uint32
	secs    [60]int64 // the Unix second each bucket counts
}

func (w *minuteWindow) add(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := now.Unix()
	i := s % 60
	if w.secs[i] != s {
		w.secs[i], w.buckets[i] = s, 0
	}
	w.buckets[i]++
}

func (w *minuteWindow) count(now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, s := 0, now.Unix()
	for i := range w.buckets {
		if s-w.secs[i] < 60 && w.secs[i] <= s {
			n += int(w.buckets[i])
		}
	}
	return n
}

// errorKinds name the probe failures for
// mirrorsignal_checker_probe_errors_total: each is the reason a
// probe.Result's error wraps. A Result carries the error as text, which
// begins with the reason's own text ("%w: %w"), so the kind is found by
// that prefix.
var errorKinds = []struct {
	err  error
	kind string
}{
	{probe.ErrUnreachable, "unreachable"}, {probe.ErrTimeout, "timeout"}, {probe.ErrTLS, "tls"},
	{probe.ErrHTTPStatus, "http_status"}, {probe.ErrRedirects, "redirects"}, {probe.ErrTooBig, "too_big"},
	{probe.ErrBadTime, "bad_time"}, {probe.ErrMissing, "missing"}, {probe.ErrProtocol, "protocol"},
	{probe.ErrBadURL, "bad_url"}, {probe.ErrRsync, "rsync_local"},
}

func errorKindNames() []string {
	out := []string{"inconsistent"}
	for _, k := range errorKinds {
		out = append(out, k.kind)
	}
	return append(out, "other")
}

// errorKind classifies a failed result: inconsistent, one of errorKinds,
// else other (the label set stays bounded whatever the text says).
func errorKind(r Result) string {
	if r.State == Inconsistent {
		return "inconsistent"
	}
	for _, k := range errorKinds {
		if strings.HasPrefix(r.Err, k.err.Error()) {
			return k.kind
		}
	}
	if r.State == Unreachable {
		return "unreachable"
	}
	return "other"
}

// The per-mirror and per-tree series built from the latest view at each
// scrape. Labels: mirror and tree only (state for the state series).
var (
	descLag = prometheus.NewDesc("mirrorsignal_mirror_lag_seconds",
		"How far the TIME a mirror serves for a tree is behind the tree's signal (0 when fresh); absent when no TIME was read.",
		[]string{"mirror", "tree"}, nil)
	descFresh = prometheus.NewDesc("mirrorsignal_mirror_fresh",
		"1 when the best of the mirror's latest probes saw the tree fresh, else 0.",
		[]string{"mirror", "tree"}, nil)
	descState = prometheus.NewDesc("mirrorsignal_mirror_state",
		"1 for the mirror's state for the tree (fresh, behind, inconsistent, error, unreachable, unknown); only the current state is exported.",
		[]string{"mirror", "tree", "state"}, nil)
	descLastCheck = prometheus.NewDesc("mirrorsignal_mirror_last_check_timestamp_seconds",
		"When the mirror's best latest probe for the tree ran (Unix seconds); absent before the first.",
		[]string{"mirror", "tree"}, nil)
	descEventFresh = prometheus.NewDesc("mirrorsignal_propagation_latest_fresh_ratio",
		"Share (0-1) of the mirrors carrying the tree seen fresh for its latest publish the checker learned.",
		[]string{"tree"}, nil)
	descEventTime = prometheus.NewDesc("mirrorsignal_propagation_latest_publish_timestamp_seconds",
		"The stamp (Unix seconds) of the tree's latest publish the checker learned.",
		[]string{"tree"}, nil)
)

// viewCollector exports the latest view's per-mirror state.
type viewCollector struct{ m *metrics }

func (c viewCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descFresh, descState, descLastCheck, descEventFresh, descEventTime} {
		ch <- d
	}
}

func (c viewCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.m.latest.Load()
	if v == nil {
		return
	}
	for _, mv := range v.Mirrors {
		for _, tv := range mv.Trees {
			state := tv.State
			if state == "" {
				state = Unknown
			}
			fresh := 0.0
			if state == Fresh {
				fresh = 1
			}
			ch <- prometheus.MustNewConstMetric(descFresh, prometheus.GaugeValue, fresh, mv.Name, tv.Tree)
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, 1, mv.Name, tv.Tree, string(state))
			if state == Fresh || state == Behind || state == Inconsistent {
				ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, tv.Lag.Seconds(), mv.Name, tv.Tree)
			}
			if !tv.At.IsZero() {
				ch <- prometheus.MustNewConstMetric(descLastCheck, prometheus.GaugeValue, float64(tv.At.UnixNano())/1e9, mv.Name, tv.Tree)
			}
		}
	}
	latest := map[string]Event{}
	for _, e := range v.Events { // oldest first
		latest[e.Tree] = e
	}
	for tree, e := range latest {
		ratio := 0.0
		if e.Carrying > 0 {
			ratio = float64(e.Fresh) / float64(e.Carrying)
		}
		ch <- prometheus.MustNewConstMetric(descEventFresh, prometheus.GaugeValue, ratio, tree)
		ch <- prometheus.MustNewConstMetric(descEventTime, prometheus.GaugeValue, float64(e.Stamp), tree)
	}
}

// propagationTracker turns successive views into observations of
// mirrorsignal_propagation_seconds and counts of learned publishes. It
// follows the checker's own crediting: a mirror counts once per publish,
// the first time a view shows it fresh with a TIME covering the publish,
// and only for publishes learned after the tracker first saw the mirror
// (so neither a restart nor a mirror added later reports old publishes).
// Views come from the checker's loop only, one at a time.
type propagationTracker struct {
	mu        sync.Mutex
	started   bool
	startedAt time.Time        // the first view's time
	fresh     map[eventKey]int // each event's Fresh count at the last view
	mirrors   map[mirrorTree]*trackedTree
	lastSeen  int64 // the generation of the last scan
}

type mirrorTree struct{ mirror, tree string }

type trackedTree struct {
	added    time.Time // the first view that had it
	credited int64     // the newest stamp it was counted for
	seen     int64     // the generation that last had it
}

func (p *propagationTracker) update(v *View, m *metrics) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fresh == nil {
		p.fresh, p.mirrors = map[eventKey]int{}, map[mirrorTree]*trackedTree{}
	}
	changed := !p.started
	for _, e := range v.Events {
		k := eventKey{e.Tree, e.Stamp}
		n, known := p.fresh[k]
		if !known && p.started && e.Learned.After(p.startedAt) {
			m.events.WithLabelValues(e.Tree).Inc()
		}
		if !known || n != e.Fresh {
			changed = true
		}
		p.fresh[k] = e.Fresh
	}
	if len(p.fresh) > 2*len(v.Events)+8 {
		p.fresh = map[eventKey]int{}
		for _, e := range v.Events {
			p.fresh[eventKey{e.Tree, e.Stamp}] = e.Fresh
		}
	}
	if !p.started {
		p.started, p.startedAt = true, v.At
	}
	if !changed && len(p.mirrors) >= countTrees(v) {
		return
	}
	p.scan(v, m)
}

func countTrees(v *View) int {
	n := 0
	for _, mv := range v.Mirrors {
		n += len(mv.Trees)
	}
	return n
}

// scan credits the mirrors newly fresh for the view's events and forgets
// mirrors that left the list.
func (p *propagationTracker) scan(v *View, m *metrics) {
	p.lastSeen++
	for _, mv := range v.Mirrors {
		for _, tv := range mv.Trees {
			k := mirrorTree{mv.Name, tv.Tree}
			tt := p.mirrors[k]
			if tt == nil {
				tt = &trackedTree{added: v.At}
				p.mirrors[k] = tt
			}
			tt.seen = p.lastSeen
			if tv.State != Fresh {
				continue
			}
			for _, e := range v.Events {
				if e.Tree != tv.Tree || e.Stamp <= tt.credited || e.Stamp > tv.Stamp {
					continue
				}
				tt.credited = e.Stamp
				if e.Learned.After(tt.added) {
					m.propagation.WithLabelValues(e.Tree).Observe(max(tv.At.Sub(e.Published), 0).Seconds())
				}
			}
		}
	}
	for k, tt := range p.mirrors {
		if tt.seen != p.lastSeen {
			delete(p.mirrors, k)
		}
	}
}
