package replica

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Loader defaults and bounds.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 30 * time.Second
	// MaxFuture is how far ahead of this replica's clock a snapshot's
	// generation time may lie. A snapshot is never replaced by an older
	// one, so one stamped far ahead would freeze the replica until the
	// primary's clock caught up with it.
	MaxFuture = 5 * time.Minute
)

// LoaderOptions configure a Loader. Source and Hub are required.
type LoaderOptions struct {
	// Source is a file path or an http(s) URL of a primary's
	// GET /api/v1/status/export.
	Source string
	// Interval is the pause between polls; DefaultInterval when 0.
	Interval time.Duration
	// Timeout bounds one HTTP fetch; DefaultTimeout when 0.
	Timeout time.Duration
	// Hub receives each snapshot loaded; the surfaces read it.
	Hub *status.Hub
	Now func() time.Time
	Log *slog.Logger
	// Registerer takes the loader's metrics; nil keeps them unexported.
	Registerer prometheus.Registerer
	// HTTPClient fetches an http(s) source; nil: a client of its own
	// that follows at most 3 redirects and never from https to http.
	HTTPClient *http.Client
}

// Loader keeps a replica's hub at the primary's latest export.
type Loader struct {
	o      LoaderOptions
	src    source
	m      *loaderMetrics
	cur    atomic.Pointer[status.Snapshot] // the snapshot loaded last
	loaded atomic.Bool

	// poll's own (Run and tests call it from one goroutine at a time).
	digest  [sha256.Size]byte // of the export loaded last
	refused [sha256.Size]byte // of the export refused last
	lastErr string            // the failure last logged
}

// errRefusedBefore: the export fetched is the one refused last (a file
// read again, a download repeated); it was counted and logged then.
var errRefusedBefore = errors.New("the export refused before")

// NewLoader returns a loader of o.Source; Run polls it.
func NewLoader(o LoaderOptions) (*Loader, error) {
	if o.Hub == nil {
		return nil, errors.New("replica: loader needs a hub")
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("component", "replica", "source", o.Source)
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	src, err := newSource(o)
	if err != nil {
		return nil, err
	}
	l := &Loader{o: o, src: src}
	if l.m, err = newLoaderMetrics(o.Registerer, l); err != nil {
		return nil, err
	}
	return l, nil
}

// Loaded reports whether a snapshot has been loaded: the replica's
// readiness.
func (l *Loader) Loaded() bool { return l.loaded.Load() }

// Run polls the source at once and then every Interval until ctx ends.
// Failures are logged and counted; they never end Run.
func (l *Loader) Run(ctx context.Context) error {
	t := time.NewTicker(l.o.Interval)
	defer t.Stop()
	for {
		_ = l.poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// refusal is a poll's failure with its metric reason.
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// poll loads the source's export when it changed. The error says why a
// new export was refused; the snapshot loaded before stays either way.
func (l *Loader) poll(ctx context.Context) error {
	err := l.load(ctx)
	var r *refusal
	switch {
	case err == nil:
		if l.lastErr != "" {
			l.o.Log.Info("export readable again")
			l.lastErr = ""
		}
	case errors.Is(err, errRefusedBefore):
	case errors.As(err, &r):
		if ctx.Err() != nil && r.reason == reasonFetch {
			return err // shutting down: not the source's fault
		}
		l.m.errors.WithLabelValues(r.reason).Inc()
		if err.Error() != l.lastErr { // once while it repeats
			l.o.Log.Warn("export refused; serving the snapshot loaded before", "reason", r.reason, "err", err, "loaded", l.Loaded())
			l.lastErr = err.Error()
		}
	}
	return err
}

func (l *Loader) load(ctx context.Context) error {
	data, err := l.src.fetch(ctx)
	if err != nil {
		return &refusal{reasonFetch, err}
	}
	if data == nil {
		return nil // unchanged
	}
	sum := sha256.Sum256(data)
	if l.loaded.Load() && sum == l.digest {
		l.src.accepted()
		return nil
	}
	if sum == l.refused {
		return errRefusedBefore
	}
	err = l.judge(data)
	var r *refusal
	switch {
	case err == nil:
		l.digest = sum
	case errors.As(err, &r) && r.reason != reasonFuture: // the clock may catch up with one from the future
		l.refused = sum
	}
	return err
}

// judge decodes an export and swaps it in when it is valid and newer.
func (l *Loader) judge(data []byte) error {
	s, err := status.Decode(data)
	if err != nil {
		return &refusal{reasonInvalid, err}
	}
	now := l.o.Now()
	if cur := l.cur.Load(); cur != nil && s.Generated.Before(cur.Generated) {
		return &refusal{reasonOlder, fmt.Errorf("snapshot generated at %s, before the one served (%s): the primary's clock went back, or an old copy was shipped",
			s.Generated.Format(time.RFC3339Nano), cur.Generated.Format(time.RFC3339Nano))}
	}
	if s.Generated.After(now.Add(MaxFuture)) {
		return &refusal{reasonFuture, fmt.Errorf("snapshot generated at %s, more than %s ahead of this clock (%s)",
			s.Generated.Format(time.RFC3339), MaxFuture, now.Format(time.RFC3339))}
	}
	l.o.Hub.Set(s)
	l.cur.Store(s)
	l.loaded.Store(true)
	l.src.accepted()
	l.m.loads.Inc()
	l.o.Log.Debug("snapshot loaded", "generated", s.Generated, "mirrors", len(s.Mirrors), "bytes", len(data))
	return nil
}
