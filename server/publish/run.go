package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// resumeLimit bounds how many pending publishes a start resumes.
const resumeLimit = 1000

// Run resumes the publishes a previous run left pending, then runs each
// new one in the background until ctx is done. A store that cannot list
// the pending ones is logged, not fatal. A publish interrupted by
// shutdown stays in its state and resumes at the next start.
func (p *Publisher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	pending, err := p.o.Store.ListPublishes(ctx, resumeLimit, true)
	switch {
	case ctx.Err() != nil:
		return nil // stopped while starting
	case err != nil:
		// New publishes still work; the pending ones resume at the next start.
		p.log.Error("cannot list the pending publishes; they resume at the next start", "err", err)
	}
	for _, pub := range pending {
		p.log.Info("resuming publish", "id", pub.ID, "tree", pub.Tree, "state", pub.State)
		p.spawn(ctx, &wg, pub.ID)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-p.queue:
			p.spawn(ctx, &wg, id)
		}
	}
}

func (p *Publisher) spawn(ctx context.Context, wg *sync.WaitGroup, id int64) {
	pctx, cancel := context.WithCancel(ctx)
	if !p.claim(id, cancelOnce(cancel)) {
		cancel() // a worker runs it already (resumed at start and queued by Start)
		return
	}
	wg.Go(func() {
		defer cancel()
		p.run(pctx, id)
	})
}

// claim makes the caller the worker of id, unless it has one.
func (p *Publisher) claim(id int64, cancel context.CancelFunc) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.running[id]
	if pr == nil {
		pr = &progress{}
		p.running[id] = pr
	}
	if pr.cancel != nil {
		return false
	}
	pr.cancel = cancel
	return true
}

func cancelOnce(c context.CancelFunc) context.CancelFunc {
	var once sync.Once
	return func() { once.Do(c) }
}

// run takes publish id from where it is to its end. It returns early,
// leaving the state as it is, when ctx ends (shutdown or cancel).
func (p *Publisher) run(ctx context.Context, id int64) {
	defer p.untrack(id)
	pub, err := p.o.Store.GetPublish(ctx, id)
	if err != nil || !store.Pending(pub.State) {
		return
	}
	log := p.log.With("id", id, "tree", pub.Tree, "stamp", pub.Stamp)
	if pub.State == store.Planned {
		if err := p.plantAll(ctx, pub); err != nil {
			p.end(ctx, id, store.Failed, "planting: "+err.Error(), log)
			return
		}
		if err := p.o.Store.Advance(ctx, id, store.Planted, "", p.o.Now()); err != nil {
			log.Error("publish stopped", "err", err)
			return
		}
	}
	if hosts := p.o.Trees.Tier1(pub.Tree); len(hosts) > 0 {
		if !p.gate(ctx, pub, hosts, log) {
			return
		}
	}
	p.commit(ctx, id, log)
}

// plantAll writes the TIME file on every master; all must succeed.
func (p *Publisher) plantAll(ctx context.Context, pub store.Publish) error {
	data := signal.FormatTimeFile(pub.Stamp)
	var errs []error
	for _, m := range p.o.Trees.Masters(pub.Tree) {
		if err := m.Plant(ctx, p.o.Gate.TimeFile, data); err != nil {
			p.metrics.plantErr.Inc()
			errs = append(errs, fmt.Errorf("%s: %w", m, err))
			continue
		}
		p.log.Info("planted", "id", pub.ID, "tree", pub.Tree, "master", m.String(), "stamp", pub.Stamp)
	}
	return errors.Join(errs...)
}

// end moves id to a final state unless ctx ended (a shutdown is not an
// outcome: the publish resumes at the next start).
func (p *Publisher) end(ctx context.Context, id int64, state, reason string, log *slog.Logger) {
	if ctx.Err() != nil {
		return
	}
	if err := p.o.Store.Advance(ctx, id, state, reason, p.o.Now()); err != nil {
		log.Error("publish could not be ended", "state", state, "err", err)
		return
	}
	p.metrics.outcome(state)
	log.Warn("publish ended without a commit; DNS unchanged", "state", state, "reason", reason)
}

// commit commits id and hands the new state to the zone, then starts the
// push triggers.
func (p *Publisher) commit(ctx context.Context, id int64, log *slog.Logger) {
	p.commitMu.Lock()
	ev, err := p.o.Store.CommitPublish(ctx, id, p.o.Now())
	var st store.State
	if err == nil {
		st, err = p.o.Store.State(ctx)
		if err == nil {
			p.o.Commit(st)
		}
	}
	p.commitMu.Unlock()
	switch {
	case errors.Is(err, store.ErrNotPending):
		return // cancelled or superseded meanwhile
	case errors.Is(err, store.ErrBackwards):
		p.end(ctx, id, store.Failed, err.Error(), log)
		return
	case err != nil:
		p.end(ctx, id, store.Failed, "cannot commit (is the state dir full or read-only?): "+err.Error(), log)
		return
	}
	p.metrics.outcome(store.Committed)
	log.Info("published", "previous", ev.Previous, "forced", ev.Forced, "serial", ev.Serial, "event", ev.ID)
	if p.o.Push != nil {
		go p.o.Push(context.WithoutCancel(ctx), ev.Tree)
	}
}
