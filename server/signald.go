package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/httpapi"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// Signald is the whole daemon.
type Signald struct {
	cfg       config.Config
	log       *slog.Logger
	now       func() time.Time
	store     *store.Store
	dns       *authdns.Server
	api       *httpapi.API
	publisher *publish.Publisher
	current   atomic.Pointer[httpapi.Signal]
}

// New opens the state, builds the first zone and wires the components.
// Nothing listens until Run.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*Signald, error) {
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	st, err := store.Open(ctx, cfg.StorePath())
	if err != nil {
		return nil, err
	}
	s := &Signald{cfg: cfg, log: log, now: now, store: st}
	if err := s.wire(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Signald) wire(ctx context.Context) error {
	if _, err := s.store.BumpSerial(ctx, s.now()); err != nil {
		return err
	}
	state, err := s.store.State(ctx)
	if err != nil {
		return err
	}
	s.dns = authdns.New(authdns.Config{
		UDPAddr: s.cfg.DNS.Listen, TCPAddr: s.cfg.DNS.Listen,
		MaxUDPSize:     s.cfg.DNS.MaxUDPSize,
		TCPIdleTimeout: s.cfg.DNS.TCPIdleTimeout.Duration,
		MaxTCPConns:    s.cfg.DNS.MaxTCPConnections,
	}, s.log)
	if err := s.apply(state); err != nil {
		return err
	}
	token, err := adminToken(s.cfg.TokenPath())
	if err != nil {
		return err
	}
	s.publisher = publish.New(s.store, s.cfg.Layout(), s.cfg.Publish.MaxFuture.Duration, s.now, s.commit, s.log)
	s.api = httpapi.New(s.Signal, s.publisher, token, s.log)
	return nil
}

// apply compiles the zone of state and swaps it in.
func (s *Signald) apply(state store.State) error {
	zone := zoneOf(&s.cfg, state)
	snap, err := authdns.Compile(zone)
	if err != nil {
		return fmt.Errorf("build zone: %w", err)
	}
	s.dns.Swap(snap)
	s.current.Store(&httpapi.Signal{Name: zone.SignalName, Record: zone.Record, Serial: state.Serial})
	return nil
}

// commit is the publisher's hook for a committed state. The state is
// already durable; a zone that fails to build keeps the last good one.
func (s *Signald) commit(state store.State) {
	if err := s.apply(state); err != nil {
		s.log.Error("serving the last good zone", "err", err)
	}
}

// Signal returns what is served now.
func (s *Signald) Signal() httpapi.Signal { return *s.current.Load() }

// Run serves until ctx is done.
func (s *Signald) Run(ctx context.Context) error {
	defer s.store.Close()
	var httpLn net.Listener
	if s.cfg.HTTP.Enabled {
		ln, err := net.Listen("tcp", s.cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http.listen: %w", err)
		}
		httpLn = ln
		s.log.Info("http listening", "component", "http", "addr", ln.Addr().String())
	}
	g, ctx := errgroup.WithContext(ctx)
	if s.cfg.DNS.Enabled {
		g.Go(func() error { return s.dns.Run(ctx) })
	}
	if httpLn != nil {
		g.Go(func() error { return httpapi.Serve(ctx, httpLn, s.api.Handler()) })
	}
	cur := s.Signal()
	s.log.Info("signald started", "zone", s.cfg.Zone.Origin, "signal", cur.Record.String(), "serial", cur.Serial)
	return g.Wait()
}
