package server

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorsignal/mirrorsignal/server/api"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/replica"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// newReplica builds signald in the read-only role (role = "mirrorlist"):
// no DNS, no store, no publisher, no checker, no admin listener; only the
// public HTTP surfaces, served from the status a primary exports and the
// loader swaps in.
func newReplica(cfg config.Config, log *slog.Logger, now func() time.Time) (*Signald, error) {
	w := &wiring{cfg: &cfg, log: log, now: now, reg: registry(), hub: status.NewHub()}
	l, err := replica.NewLoader(replica.LoaderOptions{Source: cfg.ReplicaSource(), Interval: cfg.Replica.Interval.Duration,
		Timeout: cfg.Replica.Timeout.Duration, Hub: w.hub, Now: now, Log: log, Registerer: w.reg})
	if err != nil {
		return nil, err
	}
	w.add("replica", l.Run)
	if err := w.surfaces(); err != nil {
		closeAll(w.closers)
		return nil, err
	}
	w.public = append(w.public,
		httpserve.Handler{Pattern: "GET /healthz", Handler: http.HandlerFunc(api.Healthz)},
		httpserve.Handler{Pattern: "GET /metrics", Handler: promhttp.HandlerFor(w.reg, promhttp.HandlerOpts{})},
		api.NewReady(api.ReadyCheck{Name: "snapshot", Check: func() error {
			if !l.Loaded() {
				return errors.New("no status loaded from " + cfg.Replica.Source + " yet")
			}
			return nil
		}}))
	if err := w.http(); err != nil {
		closeAll(w.closers)
		return nil, err
	}
	return &Signald{log: log, reg: w.reg, services: w.services, closers: w.closers, hub: w.hub}, nil
}

// runStarted logs what started: the signal served, or the replica's source.
func (s *Signald) runStarted(names []string) {
	if s.zone == nil {
		s.log.Info("signald started (read-only replica)", "services", names)
		return
	}
	cur := s.zone.Current()
	s.log.Info("signald started", "signal", cur.Record.String(), "serial", cur.Serial, "signed", cur.DNSSEC.Signed, "services", names)
}
