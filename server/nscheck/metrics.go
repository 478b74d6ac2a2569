package nscheck

import "github.com/prometheus/client_golang/prometheus"

// metrics are the gauges per server, labelled by its name and address.
type metrics struct {
	serialLag *prometheus.GaugeVec
	lag       *prometheus.GaugeVec
	state     *prometheus.GaugeVec
	lastCheck *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := []string{"server", "address"}
	m := &metrics{
		serialLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_nscheck_serial_lag",
			Help: "Serials the name server was behind signald at its last check (0 when current, or when it did not answer with the zone).",
		}, labels),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_nscheck_lag_seconds",
			Help: "How long the name server had been serving an older serial than signald at its last check (0 when current, or when it did not answer with the zone).",
		}, labels),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_nscheck_state",
			Help: "1 for the name server's state (unknown, ok, lagging, wrong, error, unreachable), 0 for the others.",
		}, append(labels, "state")),
		lastCheck: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_nscheck_last_check_timestamp_seconds",
			Help: "When the name server was last asked (Unix seconds).",
		}, labels),
	}
	for _, c := range []prometheus.Collector{m.serialLag, m.lag, m.state, m.lastCheck} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// set records v; a nil m records nothing.
func (m *metrics) set(v *View) {
	if m == nil {
		return
	}
	for _, s := range v.Servers {
		l := prometheus.Labels{"server": s.Name, "address": s.Addr}
		m.serialLag.With(l).Set(float64(s.SerialLag))
		m.lag.With(l).Set(s.Lag.Seconds())
		m.lastCheck.With(l).Set(float64(s.LastCheck.Unix()))
		for _, st := range States {
			val := 0.0
			if st == s.State {
				val = 1
			}
			m.state.WithLabelValues(s.Name, s.Addr, string(st)).Set(val)
		}
	}
}
