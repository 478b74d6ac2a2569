package zone

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the zone's gauges; it is the first subscriber of every
// snapshot.
type metrics struct {
	stamp     *prometheus.GaugeVec
	serial    prometheus.Gauge
	sigExpiry prometheus.Gauge
	resignErr prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		stamp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_signal_timestamp_seconds", Help: "Published last-change time of each tree (Unix seconds, 0 = never).",
		}, []string{"tree"}),
		serial: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mirrorsignal_zone_serial", Help: "SOA serial served.",
		}),
		sigExpiry: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mirrorsignal_dnssec_signature_expiry_timestamp_seconds",
			Help: "Expiry of the earliest-expiring RRSIG served (Unix seconds; 0 when unsigned). Alert on time() - this.",
		}),
		resignErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_dnssec_resign_failures_total",
			Help: "Re-signs that failed since start (the state dir could not take the new serial); the zone served keeps its signatures until they expire.",
		}),
	}
	for _, c := range []prometheus.Collector{m.stamp, m.serial, m.sigExpiry, m.resignErr} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ZoneChanged records what is served now.
func (m *metrics) ZoneChanged(s *Snapshot) {
	for i, tree := range s.Record.Layout {
		m.stamp.WithLabelValues(tree).Set(float64(s.Record.Stamps[i]))
	}
	m.serial.Set(float64(s.Serial))
	if s.DNSSEC.Expiry.IsZero() {
		m.sigExpiry.Set(0)
		return
	}
	m.sigExpiry.Set(float64(s.DNSSEC.Expiry.Unix()))
}
