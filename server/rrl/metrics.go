package rrl

import "github.com/prometheus/client_golang/prometheus"

// RegisterMetrics exports l's counters on reg; a nil l (rate limiting
// off) exports zeros, so dashboards need no special case.
func RegisterMetrics(reg prometheus.Registerer, l *Limiter) error {
	counter := func(name, help string, v func(Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(l.Stats())) })
	}
	for _, c := range []prometheus.Collector{
		counter("mirrorsignal_dns_rrl_limited_total", "UDP answers over the rate limit of their source prefix (slipped + dropped).",
			func(s Stats) uint64 { return s.Limited }),
		counter("mirrorsignal_dns_rrl_slipped_total", "Rate-limited UDP answers sent truncated (TC) so the client retries over TCP.",
			func(s Stats) uint64 { return s.Slipped }),
		counter("mirrorsignal_dns_rrl_dropped_total", "Rate-limited UDP answers not sent.",
			func(s Stats) uint64 { return s.Dropped }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
