package zone

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// Store is what the zone needs of the state store.
type Store interface {
	State(ctx context.Context) (store.State, error)
	BumpSerial(ctx context.Context, now time.Time) (uint32, error)
}

// Options build a Zone.
type Options struct {
	Config     *config.Config
	Store      Store
	Now        func() time.Time
	Log        *slog.Logger
	Registerer prometheus.Registerer // the zone's metrics go here
}

// Zone builds, signs and publishes the signal zone.
type Zone struct {
	cfg     *config.Config
	store   Store
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex // orders builds and their delivery
	served  uint32     // serial of the last snapshot delivered
	signing *signing   // nil when unsigned; the pointer never changes after New
	subs    []Subscriber
	current atomic.Pointer[Snapshot]
}

// New returns the zone of cfg, loading (or generating) its keys when it is
// signed. Nothing is built until Start.
func New(o Options) (*Zone, error) {
	z := &Zone{cfg: o.Config, store: o.Store, now: o.Now, log: o.Log.With("component", "zone")}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	z.metrics = m
	z.subs = []Subscriber{m}
	if o.Config.DNSSEC.Enabled {
		keys, err := loadKeys(o.Config, z.log)
		if err != nil {
			return nil, err
		}
		z.signing = newSigning(o.Config, keys)
	}
	return z, nil
}

// Subscribe adds s; call it before Start.
func (z *Zone) Subscribe(s Subscriber) {
	z.mu.Lock()
	z.subs = append(z.subs, s)
	z.mu.Unlock()
}

// Start bumps the serial (so it grows across restarts) and builds, signs
// and delivers the first zone.
func (z *Zone) Start(ctx context.Context) error {
	_, err := z.bumpAndApply(ctx)
	return err
}

// Current returns the snapshot served now, nil before Start.
func (z *Zone) Current() *Snapshot { return z.current.Load() }

// Commit is the publisher's hook for a newly committed state. The state is
// already durable; a zone that fails to build keeps the last good one.
func (z *Zone) Commit(state store.State) {
	if err := z.apply(state); err != nil {
		z.log.Error("serving the last good zone", "err", err)
	}
}

// apply builds, signs and delivers the zone of state. A state older than
// the one served (a lower serial) is ignored, so concurrent publishes and
// re-signs never move the zone backwards.
func (z *Zone) apply(state store.State) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if state.Serial < z.served {
		return nil
	}
	snap, err := z.build(state)
	if err != nil {
		return err
	}
	z.served = state.Serial
	z.current.Store(snap)
	for _, s := range z.subs {
		s.ZoneChanged(snap)
	}
	return nil
}

// build makes the snapshot of state, signing what needs it.
func (z *Zone) build(state store.State) (*Snapshot, error) {
	content := contentOf(z.cfg, state)
	var sec DNSSEC
	if z.signing != nil {
		var err error
		if sec, err = z.signing.sign(&content, z.now()); err != nil {
			return nil, fmt.Errorf("sign zone: %w", err)
		}
	}
	wire, err := authdns.Compile(content)
	if err != nil {
		return nil, fmt.Errorf("build zone: %w", err)
	}
	sec.Expiry = wire.SignatureExpiry()
	stamps := make(map[string]int64, len(state.Stamps))
	for k, v := range state.Stamps {
		stamps[k] = v
	}
	return &Snapshot{Name: content.SignalName, Record: content.Record, Serial: state.Serial, Stamps: stamps, DNSSEC: sec, Wire: wire}, nil
}

// bumpAndApply bumps the stored serial and delivers the zone of the stored
// state, returning its serial.
func (z *Zone) bumpAndApply(ctx context.Context) (uint32, error) {
	if _, err := z.store.BumpSerial(ctx, z.now()); err != nil {
		return 0, err
	}
	state, err := z.store.State(ctx)
	if err != nil {
		return 0, err
	}
	return state.Serial, z.apply(state)
}
