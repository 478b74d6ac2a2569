package replica

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a load is refused, the label of load_errors_total.
const (
	reasonFetch   = "fetch"   // the source could not be read
	reasonInvalid = "invalid" // corrupt, truncated, unknown format or bad content
	reasonOlder   = "older"   // generated before the snapshot loaded
	reasonFuture  = "future"  // generated too far ahead of this clock
)

type loaderMetrics struct {
	loads  prometheus.Counter
	errors *prometheus.CounterVec
}

func newLoaderMetrics(reg prometheus.Registerer, l *Loader) (*loaderMetrics, error) {
	m := &loaderMetrics{
		loads: prometheus.NewCounter(prometheus.CounterOpts{Name: "mirrorsignal_replica_loads_total",
			Help: "Snapshots loaded from the primary's export and swapped in."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirrorsignal_replica_load_errors_total",
			Help: "Polls of the export that were refused, by reason (fetch, invalid, older, future); the snapshot loaded before stays."},
			[]string{"reason"}),
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mirrorsignal_replica_snapshot_age_seconds",
		Help: "Seconds since the primary generated the snapshot served; +Inf before the first load."},
		func() float64 {
			s := l.cur.Load()
			if s == nil {
				return math.Inf(1)
			}
			return l.o.Now().Sub(s.Generated).Seconds()
		})
	loaded := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mirrorsignal_replica_loaded",
		Help: "1 once a snapshot has been loaded (the replica is ready), else 0."},
		func() float64 {
			if l.Loaded() {
				return 1
			}
			return 0
		})
	for _, c := range []prometheus.Collector{m.loads, m.errors, age, loaded} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{reasonFetch, reasonInvalid, reasonOlder, reasonFuture} {
		m.errors.WithLabelValues(r)
	}
	return m, nil
}

// Stages an export can fail at, the label of export_errors_total.
const (
	stageEncode = "encode"
	stageWrite  = "write"
)

type exporterMetrics struct {
	exports prometheus.Counter
	writes  prometheus.Counter
	errors  *prometheus.CounterVec
	bytes   prometheus.Gauge
}

func newExporterMetrics(reg prometheus.Registerer) (*exporterMetrics, error) {
	m := &exporterMetrics{
		exports: prometheus.NewCounter(prometheus.CounterOpts{Name: "mirrorsignal_status_exports_total",
			Help: "Snapshots encoded for replicas (served over HTTP, and written when status.export is set)."}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{Name: "mirrorsignal_status_export_writes_total",
			Help: "Times the export file was replaced."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirrorsignal_status_export_errors_total",
			Help: "Exports that failed, by stage (encode: the snapshot was refused; write: the file could not be replaced)."},
			[]string{"stage"}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mirrorsignal_status_export_bytes",
			Help: "Size of the current export, uncompressed."}),
	}
	for _, c := range []prometheus.Collector{m.exports, m.writes, m.errors, m.bytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{stageEncode, stageWrite} {
		m.errors.WithLabelValues(s)
	}
	return m, nil
}
