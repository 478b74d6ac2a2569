package alert

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg, []string{"webhook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg, []string{"webhook"}); err == nil {
		t.Error("second registration on one registry succeeded")
	}
}
