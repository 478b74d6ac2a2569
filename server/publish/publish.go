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
	ErrNoPublish   = store.ErrNoPublish
	ErrNotPending  = store.ErrNotPending
)

// Store is what the publisher needs of the state store.
type Store interface {
	State(ctx context.Context) (store.State, error)
	CreatePublish(ctx context.Context, tree string, stamp int64, force bool, now time.Time) (store.Publish, []int64, error)
	Advance(ctx context.Context, id int64, state, reason string, now time.Time) error
	StartGate(ctx context.Context, id int64, deadline, now time.Time) (time.Time, error)
	SeeHost(ctx context.Context, id int64, host string, stamp int64, at time.Time) error
	CommitPublish(ctx context.Context, id int64, now time.Time) (store.Event, error)
	GetPublish(ctx context.Context, id int64) (store.Publish, error)
	ListPublishes(ctx context.Context, limit int, pending bool) ([]store.Publish, error)
	Event(ctx context.Context, id int64) (store.Event, error)
}

// Request asks to publish Tree at Stamp (0 = now).
type Request struct {
	Tree  string
	Stamp int64
	Force bool
}

// Options build a Publisher.
type Options struct {
	Store     Store
	Layout    signal.Layout
	MaxFuture time.Duration // how far ahead of the clock a stamp may lie
	Now       func() time.Time
	// Commit is called with every newly committed state, in commit order.
	Commit func(store.State)
	Trees  Trees // masters and tier-1 hosts per tree; nil: none anywhere
	Gate   Gate
	// Push, when set, is called after each commit (in its own goroutine);
	// it must bound itself in time.
	Push       func(ctx context.Context, tree string)
	Log        *slog.Logger
	Registerer prometheus.Registerer
}

// Publisher runs publishes.
type Publisher struct {
	o       Options
	log     *slog.Logger
	metrics *metrics
	queue   chan int64

	commitMu sync.Mutex // orders commits and their delivery
	mu       sync.Mutex
	running  map[int64]*progress // live publishes by id
}

// New returns a publisher and registers its metrics.
func New(o Options) (*Publisher, error) {
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	if o.Trees == nil {
		o.Trees = noTrees{}
	}
	o.Gate = o.Gate.withDefaults()
	return &Publisher{o: o, log: o.Log.With("component", "publish"), metrics: m,
		queue: make(chan int64, queueSize), running: map[int64]*progress{}}, nil
}

// queueSize bounds the publishes waiting for Run to pick them up.
const queueSize = 64

// Start checks req and records it as a new publish, superseding a pending
// publish of the same tree. A tree with no masters and no tier-1 hosts
// commits before Start returns; any other publish goes on in the
// background (Run) and Start returns it planned. A request for the stamp
// the tree already has, with nothing pending, changes nothing: Status has
// Unchanged set.
func (p *Publisher) Start(ctx context.Context, req Request) (Status, error) {
	now := p.o.Now()
	stamp, err := p.check(req, now)
	if err != nil {
		return Status{}, err
	}
	st, err := p.o.Store.State(ctx)
	if err != nil {
		return Status{}, unavailable(err)
	}
	if cur := st.Stamps[req.Tree]; stamp == cur && !p.pendingTree(req.Tree) {
		return Status{Publish: store.Publish{Tree: req.Tree, Stamp: stamp, State: store.Committed}, Unchanged: true,
			Previous: cur, Serial: st.Serial, Record: st.Record(p.o.Layout)}, nil
	}
	if cur := st.Stamps[req.Tree]; stamp < cur && !req.Force {
		return Status{}, fmt.Errorf("%w: %s is at %d, asked for %d (use --force)", ErrBackwards, req.Tree, cur, stamp)
	}
	pub, superseded, err := p.o.Store.CreatePublish(ctx, req.Tree, stamp, req.Force, now)
	if err != nil {
		return Status{}, unavailable(err)
	}
	for _, id := range superseded {
		p.stop(id)
		p.metrics.outcome(store.Cancelled)
	}
	p.log.Info("publish accepted", "id", pub.ID, "tree", req.Tree, "stamp", stamp, "forced", req.Force, "superseded", superseded)
	if p.immediate(req.Tree) {
		p.run(ctx, pub.ID)
		return p.Status(ctx, pub.ID)
	}
	p.track(pub.ID)
	select {
	case p.queue <- pub.ID:
	default:
		// Run is behind; the publish stays planned and is resumed at the next start.
		p.log.Warn("publish queue full; the publish resumes at the next start", "id", pub.ID)
	}
	return p.Status(ctx, pub.ID)
}

// unavailable words a store failure: nothing was recorded.
func unavailable(err error) error {
	return fmt.Errorf("cannot record the publish, nothing changed (is the state dir full or read-only?): %w", err)
}

func (p *Publisher) check(req Request, now time.Time) (int64, error) {
	if p.o.Layout.Index(req.Tree) < 0 {
		return 0, fmt.Errorf("%w %q (trees: %s)", ErrUnknownTree, req.Tree, p.o.Layout)
	}
	stamp := req.Stamp
	if stamp == 0 {
		stamp = now.Unix()
	}
	if err := signal.CheckStamp(stamp); err != nil || stamp == 0 {
		return 0, fmt.Errorf("%w: %d is outside %d..%d", ErrBadStamp, stamp, signal.MinStamp, signal.MaxStamp)
	}
	if limit := now.Add(p.o.MaxFuture).Unix(); stamp > limit { // equivalent mutants of stamp-now below: only the error text
		return 0, fmt.Errorf("%w: %d is %ds ahead of this server's clock (allowed %s)", ErrFuture, stamp, stamp-now.Unix(), p.o.MaxFuture)
	}
	return stamp, nil
}

// immediate reports whether tree needs neither planting nor a gate.
func (p *Publisher) immediate(tree string) bool {
	return len(p.o.Trees.Masters(tree)) == 0 && len(p.o.Trees.Tier1(tree)) == 0
}

// Cancel ends a pending publish; DNS stays unchanged.
func (p *Publisher) Cancel(ctx context.Context, id int64) error {
	if err := p.o.Store.Advance(ctx, id, store.Cancelled, "cancelled by the operator", p.o.Now()); err != nil {
		return err
	}
	p.stop(id)
	p.metrics.outcome(store.Cancelled)
	p.log.Info("publish cancelled", "id", id)
	return nil
}

// Publish starts req and waits until it ends, for callers that want the
// old synchronous behaviour (tests, and a tree that commits at once). It
// needs Run for a publish that plants or gates.
func (p *Publisher) Publish(ctx context.Context, req Request) (Result, error) {
	s, err := p.Start(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if !s.Unchanged {
		if s, err = p.Wait(ctx, s.ID); err != nil {
			return Result{}, err
		}
	}
	return s.Result()
}

// waitPoll is how often Wait reads a publish's state.
const waitPoll = 50 * time.Millisecond

// Wait returns the publish once it has ended, or ctx's error.
func (p *Publisher) Wait(ctx context.Context, id int64) (Status, error) {
	t := time.NewTicker(waitPoll)
	defer t.Stop()
	for {
		s, err := p.Status(ctx, id)
		if err != nil || !store.Pending(s.State) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-t.C:
		}
	}
}
