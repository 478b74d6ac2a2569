package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// shutdownTimeout bounds how long Run waits for the services to stop once
// its context is done.
const shutdownTimeout = 10 * time.Second

// Signald is the whole daemon: the components New wired and the services
// Run runs.
type Signald struct {
	log       *slog.Logger
	store     *store.Store
	reg       *prometheus.Registry
	zone      *zone.Zone
	publisher *publish.Publisher
	reloaders []func() error // the mirror list, then what depends on it
	services  []service
	closers   []func() error // other databases, closed when Run returns
	hub       *status.Hub    // the read model of the public surfaces
}

// service is one long-running part of signald.
type service struct {
	name string
	run  func(ctx context.Context) error
}

// New opens the state, builds the components from cfg, connects each
// subscriber to the zone, and builds and delivers the first zone. Nothing
// listens until Run.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*Signald, error) {
	if cfg.Role == "mirrorlist" {
		return newReplica(cfg, log, now)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	st, err := store.Open(ctx, cfg.StorePath())
	if err != nil {
		return nil, err
	}
	s := &Signald{log: log, store: st}
	if err := s.wire(ctx, &cfg, now); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// wire builds the components in data-flow order: the zone first, then its
// subscribers (which must all subscribe before the first zone is built),
// then the publisher that feeds the zone, then the HTTP surfaces.
func (s *Signald) wire(ctx context.Context, cfg *config.Config, now func() time.Time) error {
	w, err := newWiring(cfg, s.log, now, s.store)
	if err != nil {
		return err
	}
	s.zone = w.zone
	steps := []func() error{w.dns, w.rfc2136, w.notify, w.publicAPI, w.mirrors, w.alerts, w.nameServers,
		func() error { return w.checker(ctx) }, w.status,
		func() error { return w.zone.Start(ctx) }, w.publisher, w.admin, w.http}
	for _, step := range steps {
		if err := step(); err != nil {
			closeAll(w.closers)
			return err
		}
	}
	s.closers = w.closers
	s.reg, s.publisher, s.reloaders, s.hub = w.reg, w.pub, w.reloaders, w.hub
	s.services = append(w.services, service{"zone", w.zone.Run})
	return nil
}

// Reload re-reads the DNSSEC keys, the mirror list and the check-in tokens
// (on SIGHUP). A bad key file keeps the current keys, a broken mirror list
// the current list, a bad token file the current tokens; the errors are
// returned, joined.
func (s *Signald) Reload(ctx context.Context) error {
	var err error
	if s.zone != nil {
		err = s.zone.ReloadKeys(ctx)
	}
	for _, r := range s.reloaders {
		err = errors.Join(err, r())
	}
	return err
}

// Status returns the status snapshot the public surfaces serve now.
func (s *Signald) Status() *status.Snapshot { return s.hub.Current() }

// Zone returns the zone served now.
func (s *Signald) Zone() *zone.Snapshot {
	if s.zone == nil { // a replica serves no zone
		return nil
	}
	return s.zone.Current()
}

// Run runs every service until ctx is done or one of them fails, then
// waits at most shutdownTimeout for the rest to stop.
func (s *Signald) Run(ctx context.Context) error {
	if s.store != nil {
		defer s.store.Close()
	}
	defer closeAll(s.closers)
	g, gctx := errgroup.WithContext(ctx)
	running := newRunningSet()
	for _, svc := range s.services {
		running.add(svc.name)
		g.Go(func() error {
			defer running.done(svc.name)
			if err := svc.run(gctx); err != nil {
				return fmt.Errorf("%s: %w", svc.name, err)
			}
			return nil
		})
	}
	s.runStarted(running.names())
	return waitBounded(gctx, g, running)
}

// waitBounded returns g's result, giving up shutdownTimeout after ctx
// ends with an error naming the services still running.
func waitBounded(ctx context.Context, g *errgroup.Group, running *runningSet) error {
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(shutdownTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("shutdown: still running after %s: %s", shutdownTimeout, strings.Join(running.names(), ", "))
	}
}

// runningSet tracks the services that have not returned.
type runningSet struct {
	mu  sync.Mutex
	set []string
}

func newRunningSet() *runningSet { return &runningSet{} }

func (r *runningSet) add(name string) {
	r.mu.Lock()
	r.set = append(r.set, name)
	r.mu.Unlock()
}

func (r *runningSet) done(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, n := range r.set {
		if n == name {
			r.set = append(r.set[:i], r.set[i+1:]...)
			return
		}
	}
}

func (r *runningSet) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.set...)
}

// registry is signald's own Prometheus registry (never the global one),
// with the Go and process collectors.
func registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(goCollectors()...)
	return reg
}

func closeAll(closers []func() error) {
	for _, c := range closers {
		c()
	}
}
