package publish

import (
	"context"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Heartbeat plants a stamp file (the time now, in the TIME format) at the
// root of every tree on every master, every interval, so the checker can
// measure each mirror's sync lag even while content does not change. A
// failure is logged and counted and the next beat tries again.
func (p *Publisher) Heartbeat(ctx context.Context, file string, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.beat(ctx, file)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *Publisher) beat(ctx context.Context, file string) {
	data := signal.FormatTimeFile(p.o.Now().Unix())
	for _, tree := range p.o.Layout {
		for _, m := range p.o.Trees.Masters(tree) {
			if err := m.Plant(ctx, file, data); err != nil && ctx.Err() == nil {
				p.metrics.plantErr.Inc()
				p.log.Error("heartbeat not planted", "tree", tree, "master", m.String(), "err", err)
			}
		}
	}
}
