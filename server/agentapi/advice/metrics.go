package advice

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the handler's own; a nil Registerer leaves them unregistered.
type metrics struct {
	requests *prometheus.CounterVec
	handed   prometheus.Counter
	capped   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirrorsignal_advice_requests_total", Help: "Sync-source advice requests by HTTP status code.",
		}, []string{"code"}),
		handed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_advice_sources_handed_total", Help: "Sources named in sync-source advice served.",
		}),
		capped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_advice_sources_capped_total", Help: "Fresh sources left out of advice because they reached their fan-out cap.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.handed, m.capped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) request(code int) { m.requests.WithLabelValues(strconv.Itoa(code)).Inc() }
