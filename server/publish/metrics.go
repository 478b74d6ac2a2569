package publish

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	outcomes *prometheus.CounterVec
	gate     prometheus.Histogram
	plantErr prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirrorsignal_publishes_total", Help: "Publishes that ended since start, by outcome (committed, timed_out, failed, cancelled).",
		}, []string{"outcome"}),
		gate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mirrorsignal_publish_gate_seconds",
			Help:    "Time from the start of gating to the tier-1 quorum, for publishes that reached it.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 s … about 2.3 h
		}),
		plantErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_plant_failures_total", Help: "TIME or heartbeat files that could not be written on a master.",
		}),
	}
	for _, c := range []prometheus.Collector{m.outcomes, m.gate, m.plantErr} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) outcome(state string) { m.outcomes.WithLabelValues(state).Inc() }
