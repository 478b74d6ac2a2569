package mirrorlist

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Service's counters, curried once so that a request
// only increments.
type metrics struct {
	rebuilds prometheus.Counter
	byResult map[string][4]prometheus.Counter // endpoint → ok, bad, unknown, unavailable
}

var results = [4]string{"ok", "bad_request", "unknown", "unavailable"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	rebuilds := prometheus.NewCounter(prometheus.CounterOpts{Name: "mirrorsignal_mirrorlist_index_builds_total",
		Help: "Rebuilds of the mirrorlist's index, one per new status snapshot."})
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirrorsignal_mirrorlist_requests_total",
		Help: "Mirrorlist and metalink requests by endpoint and result."}, []string{"endpoint", "result"})
	m := &metrics{rebuilds: rebuilds, byResult: map[string][4]prometheus.Counter{}}
	for _, ep := range []string{"mirrorlist", "metalink"} {
		var cs [4]prometheus.Counter
		for i, r := range results {
			cs[i] = reqs.WithLabelValues(ep, r)
		}
		m.byResult[ep] = cs
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{rebuilds, reqs} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) count(endpoint string, code int) {
	i := 0
	switch code {
	case http.StatusOK:
	case http.StatusBadRequest:
		i = 1
	case http.StatusNotFound:
		i = 2
	default:
		i = 3
	}
	m.byResult[endpoint][i].Inc()
}
