package command

import (
	"context"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/pass"
	"github.com/mirrorsignal/mirrorsignal/agent/schedule"
)

// run is `run` (with jitter) and `trigger` (without): one pass.
func (a *agent) run(ctx context.Context, p *pass.Pass, jitter bool) error {
	if jitter {
		if err := a.sleepJitter(ctx); err != nil {
			return nil // stopped while waiting: nothing was done
		}
	}
	return p.Run(ctx)
}

// sleepJitter sleeps uniformly in [0, sync.jitter].
func (a *agent) sleepJitter(ctx context.Context) error {
	d := schedule.Jitter(a.env.Rand, a.cfg.Sync.Jitter.D())
	a.log.With("component", "schedule").Debug("jitter", "seconds", d.Seconds())
	return a.env.Clock.Sleep(ctx, d)
}

// daemon runs passes until ctx is done: jitter, pass, interval + jitter, …
// A failed pass is logged and the loop goes on; stopping is exit 0.
func (a *agent) daemon(ctx context.Context, p *pass.Pass) error {
	log := a.log.With("component", "daemon")
	log.Info("daemon started", "interval_seconds", a.cfg.Sync.DaemonInterval.D().Seconds())
	if err := a.sleepJitter(ctx); err != nil {
		return nil
	}
	for {
		if err := p.Run(ctx); err != nil && !exitcode.IsReported(err) {
			log.Error("pass failed", "err", err)
		}
		if err := a.env.Clock.Sleep(ctx, a.cfg.Sync.DaemonInterval.D()); err != nil {
			break
		}
		if err := a.sleepJitter(ctx); err != nil {
			break
		}
	}
	log.Info("daemon stopped")
	return nil
}
