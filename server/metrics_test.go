package server

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// TestRRLMetrics reads the rate limiter's counters from the registry.
func TestRRLMetrics(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		m := newMetrics()
		var l *rrl.Limiter
		if enabled {
			l = rrl.New(rrl.Config{Rate: 1, Slip: 2})
			src, now := netip.MustParseAddr("192.0.2.1"), time.Unix(1_800_000_000, 0)
			for range 5 { // 1 sent, 4 limited: 2 slipped, 2 dropped
				l.Decide(src, now)
			}
		}
		m.watchRRL(l)
		want := map[string]float64{
			"mirrorsignal_dns_rrl_limited_total": 4, "mirrorsignal_dns_rrl_slipped_total": 2, "mirrorsignal_dns_rrl_dropped_total": 2,
		}
		for name, v := range want {
			if !enabled {
				v = 0
			}
			if g := counterValue(t, m, name); g != v {
				t.Errorf("enabled=%v: %s = %v, want %v", enabled, name, g, v)
			}
		}
	}
}

// counterValue is the value of the counter name in m's registry.
func counterValue(t *testing.T, m *metrics, name string) float64 {
	t.Helper()
	families, err := m.reg.Gather()
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
