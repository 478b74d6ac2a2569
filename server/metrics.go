package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorsignal/mirrorsignal/server/httpapi"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// metrics is signald's own Prometheus registry (never the global one).
type metrics struct {
	reg       *prometheus.Registry
	stamp     *prometheus.GaugeVec
	serial    prometheus.Gauge
	publishes prometheus.Counter
	sigExpiry prometheus.Gauge
	resignErr prometheus.Counter

	mu     sync.Mutex
	sigExp time.Time
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		stamp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mirrorsignal_signal_timestamp_seconds", Help: "Published last-change time of each tree (Unix seconds, 0 = never).",
		}, []string{"tree"}),
		serial: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mirrorsignal_zone_serial", Help: "SOA serial served.",
		}),
		publishes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_publishes_total", Help: "Publishes committed since start.",
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
	m.reg.MustRegister(m.stamp, m.serial, m.publishes, m.sigExpiry, m.resignErr,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchRRL exports the DNS rate limiter's counters (nil: always zero).
func (m *metrics) watchRRL(l *rrl.Limiter) {
	counter := func(name, help string, v func(rrl.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(l.Stats())) })
	}
	m.reg.MustRegister(
		counter("mirrorsignal_dns_rrl_limited_total", "UDP answers over the rate limit of their source prefix (slipped + dropped).",
			func(s rrl.Stats) uint64 { return s.Limited }),
		counter("mirrorsignal_dns_rrl_slipped_total", "Rate-limited UDP answers sent truncated (TC) so the client retries over TCP.",
			func(s rrl.Stats) uint64 { return s.Slipped }),
		counter("mirrorsignal_dns_rrl_dropped_total", "Rate-limited UDP answers not sent.",
			func(s rrl.Stats) uint64 { return s.Dropped }),
	)
}

// observe records what is served now.
func (m *metrics) observe(cur *httpapi.Signal, expiry, now time.Time) {
	for i, tree := range cur.Record.Layout {
		m.stamp.WithLabelValues(tree).Set(float64(cur.Record.Stamps[i]))
	}
	m.serial.Set(float64(cur.Serial))
	m.mu.Lock()
	m.sigExp = expiry
	m.mu.Unlock()
	if expiry.IsZero() {
		m.sigExpiry.Set(0)
		return
	}
	m.sigExpiry.Set(float64(expiry.Unix()))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) expiry() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sigExp
}
