package replica

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// DefaultMinInterval is the least time between two exports: a primary
// rebuilds its snapshot after every checker round and name-server check,
// and a large fleet's export takes a while to encode and compress.
const DefaultMinInterval = 5 * time.Second

// exportFileMode lets the rsync daemon or web server shipping the file read it.
const exportFileMode = 0o644

// ExporterOptions configure an Exporter. Hub is required.
type ExporterOptions struct {
	Hub *status.Hub
	// File is where the export is written (atomically); "" writes none
	// and the export is only served over HTTP.
	File string
	// MinInterval is the least time between two exports;
	// DefaultMinInterval when 0.
	MinInterval time.Duration
	Now         func() time.Time
	Log         *slog.Logger
	// Registerer takes the exporter's metrics; nil keeps them unexported.
	Registerer prometheus.Registerer
}

// Exporter publishes the hub's snapshots for replicas.
type Exporter struct {
	o      ExporterOptions
	m      *exporterMetrics
	latest atomic.Pointer[status.Snapshot] // the hub's newest
	wake   chan struct{}
	cur    atomic.Pointer[export] // what GET serves; nil before the first
	// after waits between exports (a test replaces it).
	after func(time.Duration) <-chan time.Time

	// Run's own.
	written string // digest of the file's content; "" when not written
	lastErr string // the failure last logged
}

// export is one encoded snapshot in both encodings.
type export struct {
	snap         *status.Snapshot
	body, gz     []byte
	etag, etagGz string // strong validators, one per encoding
	digest       string // sha256 of body
	generated    time.Time
}

// NewExporter returns an exporter subscribed to o.Hub; Run exports.
func NewExporter(o ExporterOptions) (*Exporter, error) {
	if o.Hub == nil {
		return nil, errors.New("replica: exporter needs a hub")
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("component", "status-export")
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	m, err := newExporterMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Exporter{o: o, m: m, wake: make(chan struct{}, 1), after: time.After}
	o.Hub.Subscribe(e)
	return e, nil
}

// StatusChanged takes a new snapshot (status.Subscriber): it only stores
// the pointer and wakes Run.
func (e *Exporter) StatusChanged(s *status.Snapshot) {
	e.latest.Store(s)
	e.poke()
}

func (e *Exporter) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run exports the newest snapshot whenever it changes, at most once per
// MinInterval, until ctx ends.
func (e *Exporter) Run(ctx context.Context) error {
	var last time.Time // of the last export
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		}
		if !last.IsZero() {
			if wait := last.Add(e.o.MinInterval).Sub(e.o.Now()); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-e.after(wait):
				}
			}
		}
		if e.publish() {
			last = e.o.Now()
		}
	}
}

// publish encodes the newest snapshot when it is new and writes the file
// when it differs; it reports whether it did any work.
func (e *Exporter) publish() bool {
	s := e.latest.Load()
	if s == nil || !s.Signal.Loaded {
		return false // nothing a replica could use yet
	}
	x := e.cur.Load()
	fileDue := e.o.File != "" && (x == nil || e.written != x.digest)
	if x != nil && x.snap == s && !fileDue {
		return false
	}
	if x == nil || x.snap != s {
		nx, err := encode(s)
		if err != nil {
			e.m.errors.WithLabelValues(stageEncode).Inc()
			e.logErr("snapshot not exported; replicas keep the previous one", err)
			return true
		}
		x = nx
		e.cur.Store(x)
		e.m.exports.Inc()
		e.m.bytes.Set(float64(len(x.body)))
	}
	if e.o.File != "" && e.written != x.digest {
		if err := atomicfile.Write(e.o.File, x.body, exportFileMode); err != nil {
			e.m.errors.WithLabelValues(stageWrite).Inc()
			e.logErr("export file not written; retrying", err)
			e.poke() // retry after MinInterval, even without a change
			return true
		}
		e.written = x.digest
		e.m.writes.Inc()
	}
	if e.lastErr != "" {
		e.o.Log.Info("status exported again", "generated", x.generated)
		e.lastErr = ""
	}
	return true
}

// logErr logs err once while it repeats.
func (e *Exporter) logErr(msg string, err error) {
	if err.Error() != e.lastErr {
		e.o.Log.Error(msg, "file", e.o.File, "err", err)
		e.lastErr = err.Error()
	}
}

func encode(s *status.Snapshot) (*export, error) {
	body, err := status.Encode(s)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	return &export{snap: s, body: body, gz: gz.Bytes(), digest: digest, generated: s.Generated,
		etag: `"` + digest + `"`, etagGz: `"` + digest + `-gzip"`}, nil
}
