package rrl

import (
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestRRLMetrics reads the rate limiter's counters from the registry.
func TestRRLMetrics(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		reg := prometheus.NewRegistry()
		var l *Limiter
		if enabled {
			l = New(Config{Rate: 1, Slip: 2})
			src, now := netip.MustParseAddr("192.0.2.1"), time.Unix(1_800_000_000, 0)
			for range 5 { // 1 sent, 4 limited: 2 slipped, 2 dropped
				l.Decide(src, now)
			}
		}
		if err := RegisterMetrics(reg, l); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{
			"mirrorsignal_dns_rrl_limited_total": 4, "mirrorsignal_dns_rrl_slipped_total": 2, "mirrorsignal_dns_rrl_dropped_total": 2,
		}
		for name, v := range want {
			if !enabled {
				v = 0
			}
			if g := counterValue(t, reg, name); g != v {
				t.Errorf("enabled=%v: %s = %v, want %v", enabled, name, g, v)
			}
		}
	}
}

// counterValue is the value of the counter name in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
