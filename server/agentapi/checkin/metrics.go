package checkin

import "github.com/prometheus/client_golang/prometheus"

// Results, the values of the result label.
const (
	resultAccepted = "accepted"
	resultForged   = "forged"   // known mirror, signature does not match
	resultReplayed = "replayed" // signature seen before
	resultExpired  = "expired"  // timestamp outside the window
	resultUnknown  = "unknown"  // no such mirror, or no token for it
	resultLimited  = "limited"  // over the mirror's rate limit
	resultBad      = "bad"      // malformed headers or body, too big
)

type metrics struct{ checkins *prometheus.CounterVec }

// newMetrics registers on reg; a nil reg leaves the metrics unregistered.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mirrorsignal_checkins_total",
		Help: "Agent check-ins received, by result (accepted, forged, replayed, expired, unknown, limited, bad).",
	}, []string{"result"})}
	for _, r := range []string{resultAccepted, resultForged, resultReplayed, resultExpired, resultUnknown, resultLimited, resultBad} {
		m.checkins.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.checkins); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) count(result string) { m.checkins.WithLabelValues(result).Inc() }
