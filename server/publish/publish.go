package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Errors a caller maps to a refusal; none of them changes state.
var (
	ErrUnknownTree = errors.New("unknown tree")
	ErrBadStamp    = errors.New("bad timestamp")
	ErrFuture      = errors.New("timestamp too far in the future")
	ErrBackwards   = store.ErrBackwards
)

// Store is what the publisher needs of the state store.
type Store interface {
	Publish(ctx context.Context, tree string, stamp int64, force bool, now time.Time) (store.Event, error)
	State(ctx context.Context) (store.State, error)
}

// Request asks to publish Tree at Stamp (0 = now).
type Request struct {
	Tree  string
	Stamp int64
	Force bool
}

// Result is what a publish did.
type Result struct {
	Event     store.Event
	Unchanged bool // the tree already had this stamp; nothing was committed
	Record    signal.Record
}

// Options build a Publisher.
type Options struct {
	Store     Store
	Layout    signal.Layout
	MaxFuture time.Duration // how far ahead of the clock a stamp may lie
	Now       func() time.Time
	// Commit is called, under the publisher's lock, with every newly
	// committed state.
	Commit     func(store.State)
	Log        *slog.Logger
	Registerer prometheus.Registerer // mirrorsignal_publishes_total goes here
}

// Publisher serialises publishes.
type Publisher struct {
	store     Store
	layout    signal.Layout
	maxFuture time.Duration
	now       func() time.Time
	commit    func(store.State)
	log       *slog.Logger
	published prometheus.Counter
	mu        sync.Mutex
}

// New returns a publisher and registers its metrics.
func New(o Options) (*Publisher, error) {
	p := &Publisher{store: o.Store, layout: o.Layout, maxFuture: o.MaxFuture, now: o.Now, commit: o.Commit,
		log: o.Log.With("component", "publish"),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_publishes_total", Help: "Publishes committed since start.",
		})}
	if err := o.Registerer.Register(p.published); err != nil {
		return nil, err
	}
	return p, nil
}

// Publish checks req and commits it.
func (p *Publisher) Publish(ctx context.Context, req Request) (Result, error) {
	now := p.now()
	stamp, err := p.check(req, now)
	if err != nil {
		return Result{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.store.State(ctx)
	if err != nil {
		return Result{}, err
	}
	if cur, ok := st.Stamps[req.Tree]; ok && cur == stamp {
		return Result{Unchanged: true, Record: st.Record(p.layout), Event: store.Event{Tree: req.Tree, Stamp: stamp, Previous: cur, Serial: st.Serial}}, nil
	}
	ev, err := p.store.Publish(ctx, req.Tree, stamp, req.Force, now)
	if errors.Is(err, ErrBackwards) {
		return Result{}, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("cannot record the publish, nothing changed (is the state dir full or read-only?): %w", err)
	}
	st.Stamps[req.Tree] = stamp
	st.Serial = ev.Serial
	p.commit(st)
	p.published.Inc()
	p.log.Info("published", "tree", req.Tree, "stamp", stamp, "previous", ev.Previous, "forced", req.Force, "serial", ev.Serial, "event", ev.ID)
	return Result{Event: ev, Record: st.Record(p.layout)}, nil
}

func (p *Publisher) check(req Request, now time.Time) (int64, error) {
	if p.layout.Index(req.Tree) < 0 {
		return 0, fmt.Errorf("%w %q (trees: %s)", ErrUnknownTree, req.Tree, p.layout)
	}
	stamp := req.Stamp
	if stamp == 0 {
		stamp = now.Unix()
	}
	if err := signal.CheckStamp(stamp); err != nil || stamp == 0 {
		return 0, fmt.Errorf("%w: %d is outside %d..%d", ErrBadStamp, stamp, signal.MinStamp, signal.MaxStamp)
	}
	if limit := now.Add(p.maxFuture).Unix(); stamp > limit {
		return 0, fmt.Errorf("%w: %d is %ds ahead of this server's clock (allowed %s)", ErrFuture, stamp, stamp-now.Unix(), p.maxFuture)
	}
	return stamp, nil
}
