package alert

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	sent, failed, dropped *prometheus.CounterVec
	suppressed            prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, channels []string) (*metrics, error) {
	vec := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"channel"})
	}
	m := &metrics{
		sent:    vec("mirrorsignal_alerts_sent_total", "Notifications delivered, by channel (webhook, smtp)."),
		failed:  vec("mirrorsignal_alerts_failed_total", "Notifications given up after their tries, by channel."),
		dropped: vec("mirrorsignal_alerts_dropped_total", "Notifications dropped unsent because the channel's queue was full, by channel."),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_alerts_suppressed_total",
			Help: "Notifications not sent on their own because of the minimum gap; later messages count them. Decided before the channels, so unlabelled.",
		}),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.dropped, m.suppressed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, ch := range channels { // show zeros from the start
		m.sent.WithLabelValues(ch)
		m.failed.WithLabelValues(ch)
		m.dropped.WithLabelValues(ch)
	}
	return m, nil
}
