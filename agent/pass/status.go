package pass

import (
	"context"

	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
)

// TreeStatus compares one tree with the signal.
type TreeStatus struct {
	Tree        string
	Local       int64 // local TIME
	Signal      int64 // 0 when the signal is unusable
	Behind      bool
	Due         bool // the unconditional sync of sync.max_interval is due
	LastSuccess int64
	LastError   string
}

// Status is what `mirror-agent status` shows.
type Status struct {
	Signal    query.Signal
	SignalErr error
	Trees     []TreeStatus
}

// Status reads the signal and the local trees without locking or writing.
func (p *Pass) Status(ctx context.Context) (Status, error) {
	st, err := state.Load(p.d.Config.Sync.StateFile)
	if err != nil {
		return Status{}, err
	}
	var s Status
	s.Signal, s.SignalErr = p.d.Reader.Read(ctx)
	if s.SignalErr == nil {
		s.SignalErr = p.d.Reader.CheckLayout(ctx)
	}
	now := p.d.Now()
	for _, tree := range p.d.Config.TreeNames() {
		t := st.Tree(tree)
		ts := TreeStatus{Tree: tree, Local: p.local(tree), LastSuccess: t.LastSuccess, LastError: t.LastError}
		if s.SignalErr == nil {
			ts.Signal, _ = s.Signal.Record.Stamp(tree)
			ts.Behind = ts.Local < ts.Signal
		}
		ts.Due = t.LastSuccess > 0 && p.due(t, now)
		s.Trees = append(s.Trees, ts)
	}
	return s, nil
}
