package checker

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the checker's own; a nil Registerer leaves them unregistered.
type metrics struct {
	probes   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mirrors  *prometheus.GaugeVec
	planned  prometheus.Gauge
	achieved prometheus.Gauge
	window   minuteWindow
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
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.probes, m.duration, m.mirrors, m.planned, m.achieved} {
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
