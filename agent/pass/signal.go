package pass

import (
	"context"
	"errors"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// read reads the signal. The `_trees` layout is checked too when the record
// changed since the last pass (a layout change changes the record), or when
// the record does not parse (to say why). An up-to-date pass with an
// unchanged record therefore costs one DNS query.
func (p *Pass) read(ctx context.Context, r *run) (query.Signal, error) {
	sig, err := p.d.Reader.Read(ctx)
	if err != nil {
		if errors.Is(err, signal.ErrRecord) && !errors.Is(err, query.ErrFuture) {
			if lerr := p.d.Reader.CheckLayout(ctx); errors.Is(lerr, query.ErrLayoutMismatch) {
				r.layoutChecked = true
				err = errors.Join(lerr, err)
			}
		}
		return query.Signal{}, p.refused(r, err)
	}
	if sig.Text != r.st.Signal {
		if err := p.checkLayout(ctx, r); err != nil {
			return query.Signal{}, err
		}
	}
	if !sig.Security.Secure {
		p.d.Log.Warn("signal is not DNSSEC-authenticated", "how", sig.Security.How, "server", sig.Server)
	}
	r.st.Signal, r.st.SignalSeen = sig.Text, p.d.Now().Unix()
	return sig, nil
}

func (p *Pass) checkLayout(ctx context.Context, r *run) error {
	r.layoutChecked = true
	if err := p.d.Reader.CheckLayout(ctx); err != nil {
		return p.refused(r, err)
	}
	return nil
}

// refused logs a signal that cannot be used and records its exit code: a
// layout mismatch is a configuration error, anything else a failure. Only
// trees due for their unconditional sync are synced after this.
func (p *Pass) refused(r *run, err error) error {
	code := exitcode.Failure
	if errors.Is(err, query.ErrLayoutMismatch) {
		code = exitcode.Config
	}
	p.d.Log.Error("signal refused: no sync is driven by it", "err", err, "exit", code)
	r.fail(code, err)
	return err
}
