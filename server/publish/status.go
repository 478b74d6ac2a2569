package publish

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Status is a publish as the admin API reports it: what the store holds,
// plus, while it gates, the live view of the tier-1 hosts.
type Status struct {
	store.Publish
	Unchanged bool          // the tree already had the stamp; nothing was recorded
	Previous  int64         // the tree's stamp before the commit (committed only)
	Serial    uint32        // the serial of the commit (committed only)
	Record    signal.Record // the signal after the commit (committed only)
	Need      int           // tier-1 hosts needed for the quorum
	Total     int           // tier-1 hosts carrying the tree
	Awaited   []string      // tier-1 hosts not yet seen with the stamp
	Errors    map[string]string
}

// progress is the live part of a publish while it runs.
type progress struct {
	need, total int
	awaited     []string
	errors      map[string]string
	cancel      context.CancelFunc // nil until its worker runs
}

func (p *Publisher) track(id int64) *progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.running[id]
	if pr == nil {
		pr = &progress{}
		p.running[id] = pr
	}
	return pr
}

func (p *Publisher) untrack(id int64) {
	p.mu.Lock()
	delete(p.running, id)
	p.mu.Unlock()
}

// stop cancels the worker of publish id, if it has one.
func (p *Publisher) stop(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.running[id]; pr != nil && pr.cancel != nil {
		pr.cancel()
	}
}

func (p *Publisher) setProgress(id int64, need, total int, awaited []string, errs map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.running[id]; pr != nil {
		pr.need, pr.total, pr.awaited, pr.errors = need, total, awaited, errs
	}
}

// pendingTree reports whether a publish of tree is running.
func (p *Publisher) pendingTree(tree string) bool {
	pending, err := p.o.Store.ListPublishes(context.Background(), 1000, true)
	if err != nil {
		return true // unknown: do not claim "unchanged"
	}
	return slices.ContainsFunc(pending, func(x store.Publish) bool { return x.Tree == tree })
}

// Status returns publish id.
func (p *Publisher) Status(ctx context.Context, id int64) (Status, error) {
	pub, err := p.o.Store.GetPublish(ctx, id)
	if err != nil {
		return Status{}, err
	}
	return p.statusOf(ctx, pub)
}

// List returns the latest publishes, newest first.
func (p *Publisher) List(ctx context.Context, limit int) ([]Status, error) {
	pubs, err := p.o.Store.ListPublishes(ctx, limit, false)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(pubs))
	for _, pub := range pubs {
		s, err := p.statusOf(ctx, pub)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *Publisher) statusOf(ctx context.Context, pub store.Publish) (Status, error) {
	s := Status{Publish: pub}
	p.mu.Lock()
	if pr := p.running[pub.ID]; pr != nil {
		s.Need, s.Total, s.Awaited, s.Errors = pr.need, pr.total, slices.Clone(pr.awaited), maps.Clone(pr.errors)
	}
	p.mu.Unlock()
	if pub.State != store.Committed || pub.EventID == 0 {
		return s, nil
	}
	ev, err := p.o.Store.Event(ctx, pub.EventID)
	if err != nil {
		return s, err
	}
	s.Previous, s.Serial = ev.Previous, ev.Serial
	st, err := p.o.Store.State(ctx)
	if err != nil {
		return s, err
	}
	s.Record = st.Record(p.o.Layout)
	return s, nil
}

// ErrNotCommitted is returned for a publish that ended without a commit.
var ErrNotCommitted = errors.New("not committed; DNS unchanged")

// Result is a committed publish.
type Result struct {
	Event     store.Event
	Unchanged bool // the tree already had this stamp; nothing was committed
	Record    signal.Record
}

// Result turns a finished status into a Result, or ErrNotCommitted.
func (s Status) Result() (Result, error) {
	if s.Unchanged {
		return Result{Unchanged: true, Record: s.Record, Event: store.Event{Tree: s.Tree, Stamp: s.Stamp, Previous: s.Previous, Serial: s.Serial}}, nil
	}
	if s.State != store.Committed {
		return Result{}, fmt.Errorf("publish %d %s: %s: %w", s.ID, s.State, s.Reason, ErrNotCommitted)
	}
	return Result{Record: s.Record, Event: store.Event{ID: s.EventID, Tree: s.Tree, Stamp: s.Stamp, Previous: s.Previous, Serial: s.Serial, Forced: s.Forced}}, nil
}
