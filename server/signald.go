package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/httpapi"
	"github.com/mirrorsignal/mirrorsignal/server/notify"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/rfc2136"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
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
	pusher    *rfc2136.Pusher   // nil unless publish.mode = "rfc2136"
	notifier  *notify.Notifier  // nil without [[notify]] targets
	serving   atomic.Bool       // DNS is listening: NOTIFY may go out
	secrets   map[string]string // [[tsig]] secrets by key name, read once
	metrics   *metrics
	current   atomic.Pointer[httpapi.Signal]

	mu      sync.Mutex  // orders zone builds
	state   store.State // last state served
	signing *zoneSigner // nil when unsigned
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
	s := &Signald{cfg: cfg, log: log, now: now, store: st, metrics: newMetrics()}
	if err := s.wire(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Signald) wire(ctx context.Context) error {
	secrets, err := s.cfg.TSIGSecrets()
	if err != nil {
		return err
	}
	s.secrets = secrets
	if s.cfg.DNSSEC.Enabled {
		keys, err := s.loadKeys()
		if err != nil {
			return err
		}
		s.signing = s.newSigner(keys)
	}
	if err := s.wirePublishing(); err != nil {
		return err
	}
	if err := s.wireNotify(); err != nil {
		return err
	}
	dnsCfg, err := s.dnsConfig()
	if err != nil {
		return err
	}
	s.dns = authdns.New(dnsCfg, s.log)
	if _, err := s.store.BumpSerial(ctx, s.now()); err != nil {
		return err
	}
	state, err := s.store.State(ctx)
	if err != nil {
		return err
	}
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

// wirePublishing sets up the RFC 2136 pusher in that mode.
func (s *Signald) wirePublishing() error {
	if s.cfg.Publish.Mode != "rfc2136" {
		return nil
	}
	r := s.cfg.Publish.RFC2136
	t := rfc2136.Target{Server: r.Server, Zone: r.Zone, KeyName: r.TSIGKey, Secret: s.secrets[r.TSIGKey], Timeout: r.Timeout.Duration}
	s.pusher = rfc2136.NewPusher(t, s.cfg.Zone.SignalName, secs(s.cfg.Zone.SignalTTL.Duration), s.log)
	return nil
}

func (s *Signald) dnsConfig() (authdns.Config, error) {
	c := authdns.Config{
		UDPAddr: s.cfg.DNS.Listen, TCPAddr: s.cfg.DNS.Listen,
		MaxUDPSize:     s.cfg.DNS.MaxUDPSize,
		TCPIdleTimeout: s.cfg.DNS.TCPIdleTimeout.Duration,
		MaxTCPConns:    s.cfg.DNS.MaxTCPConnections,
		Transfer:       authdns.TransferConfig{AllowFrom: s.cfg.AllowFrom(), Keys: map[string]string{}},
	}
	if r := s.cfg.DNS.RRL; r.Enabled {
		c.RRL = rrl.New(rrl.Config{
			Rate: r.Rate, Slip: r.Slip, IPv4Bits: r.IPv4Prefix, IPv6Bits: r.IPv6Prefix,
			TableSize: r.TableSize, Exempt: s.cfg.RRLExempt(),
		})
	}
	s.metrics.watchRRL(c.RRL) // zeros when disabled
	// Keys that may transfer the zone: those listed in transfer.keys, and
	// the key each [[notify]] secondary was given (it signs its SOA checks
	// and transfers with it).
	for _, name := range s.cfg.Transfer.Keys {
		c.Transfer.Keys[name] = s.secrets[name]
	}
	for _, sec := range s.cfg.Notify {
		if sec.TSIGKey != "" {
			c.Transfer.Keys[sec.TSIGKey] = s.secrets[sec.TSIGKey]
		}
	}
	return c, c.Validate()
}

// wireNotify builds the notifier of the [[notify]] secondaries.
func (s *Signald) wireNotify() error {
	if len(s.cfg.Notify) == 0 {
		return nil
	}
	nc := notify.Config{Zone: s.cfg.Zone.Origin}
	for _, sec := range s.cfg.Notify {
		t := notify.Target{Addr: sec.Address}
		if sec.TSIGKey != "" {
			t.Key = &notify.Key{Name: sec.TSIGKey, Secret: s.secrets[sec.TSIGKey]}
		}
		nc.Targets = append(nc.Targets, t)
	}
	n, err := notify.New(nc, s.log)
	if err != nil {
		return err
	}
	s.notifier = n
	return nil
}

// apply builds, signs and serves the zone of state. A state older than the
// one served (a lower serial) is ignored, so concurrent publishes and
// re-signs can never move the zone backwards.
func (s *Signald) apply(state store.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state.Serial < s.state.Serial {
		return nil
	}
	zone := zoneOf(&s.cfg, state)
	if err := s.sign(&zone); err != nil {
		return fmt.Errorf("sign zone: %w", err)
	}
	snap, err := authdns.Compile(zone)
	if err != nil {
		return fmt.Errorf("build zone: %w", err)
	}
	s.dns.Swap(snap)
	s.state = state
	cur := &httpapi.Signal{Name: zone.SignalName, Record: zone.Record, Serial: state.Serial}
	s.current.Store(cur)
	s.metrics.observe(cur, snap.SignatureExpiry(), s.now())
	if s.pusher != nil {
		s.pusher.Set(zone.Record)
	}
	if s.notifier != nil && s.serving.Load() {
		s.notifier.Notify(state.Serial)
	}
	return nil
}

// sign adds the signing part to zone, reusing signatures still fresh.
func (s *Signald) sign(zone *authdns.Zone) error {
	if s.signing == nil {
		return nil
	}
	zone.DNSSEC = &authdns.Signing{Keys: s.signing.signer.Keys}
	sets, err := zone.RRsets()
	if err != nil {
		return err
	}
	sigs, err := s.signing.signer.Sign(sets, s.signing.sigs, s.now())
	if err != nil {
		return err
	}
	zone.DNSSEC.Sigs = sigs
	s.signing.sigs = sigs
	return nil
}

// commit is the publisher's hook for a committed state. The state is
// already durable; a zone that fails to build keeps the last good one.
func (s *Signald) commit(state store.State) {
	s.metrics.publishes.Inc()
	if err := s.apply(state); err != nil {
		s.log.Error("serving the last good zone", "err", err)
	}
}

// resign bumps the serial and rebuilds the zone, so signatures due for
// refresh are re-made and secondaries transfer them. A failure is counted
// in mirrorsignal_dnssec_resign_failures_total.
func (s *Signald) resign(ctx context.Context) error {
	serial, err := s.bumpAndApply(ctx)
	if err != nil {
		s.metrics.resignErr.Inc()
		return err
	}
	exp := s.metrics.expiry()
	s.log.Info("zone re-signed", "component", "dnssec", "serial", serial,
		"earliest_expiry", exp.UTC().Format(time.RFC3339), "expires_in_s", int64(exp.Sub(s.now()).Seconds()))
	return nil
}

// bumpAndApply bumps the stored serial and serves the zone of the stored
// state, returning its serial.
func (s *Signald) bumpAndApply(ctx context.Context) (uint32, error) {
	if _, err := s.store.BumpSerial(ctx, s.now()); err != nil {
		return 0, err
	}
	state, err := s.store.State(ctx)
	if err != nil {
		return 0, err
	}
	return state.Serial, s.apply(state)
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
		g.Go(func() error { return httpapi.Serve(ctx, httpLn, s.api.Handler(s.metrics.handler())) })
	}
	if s.signing != nil {
		g.Go(func() error { return s.resignLoop(ctx) })
	}
	if s.pusher != nil {
		g.Go(func() error { return s.pusher.Run(ctx) })
	}
	if s.notifier != nil && s.cfg.DNS.Enabled {
		g.Go(func() error { return s.notifier.Run(ctx) })
		g.Go(func() error { return s.notifyWhenServing(ctx) })
	}
	cur := s.Signal()
	s.log.Info("signald started", "zone", s.cfg.Zone.Origin, "signal", cur.Record.String(), "serial", cur.Serial, "signed", s.signing != nil)
	return g.Wait()
}

// notifyWhenServing sends the first NOTIFY once DNS listens, so that a
// secondary's transfer finds the server up.
func (s *Signald) notifyWhenServing(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-s.dns.Ready():
		s.serving.Store(true)
		s.notifier.Notify(s.Signal().Serial)
	}
	return nil
}

// resignLoop re-signs whenever a signature is due for refresh. After a
// failure (the state dir cannot take the new serial) it tries again after
// resignRetry, so a lasting fault logs a line a minute, not a second.
func (s *Signald) resignLoop(ctx context.Context) error {
	var retry time.Duration
	for {
		wait := max(s.nextResign(s.now()).Sub(s.now()), time.Second)
		if retry > 0 {
			wait = retry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if err := s.maybeResign(ctx); err != nil {
			retry = resignRetry(retry)
			s.log.Error("re-sign failed; serving the last good zone", "component", "dnssec", "err", err, "retry_in", retry.String())
			continue
		}
		retry = 0
	}
}

// resignRetry is the wait before the next try after a failed re-sign
// that waited prev before it (0 for the first failure): 1 s, doubling, at
// most resignRetryMax.
func resignRetry(prev time.Duration) time.Duration {
	if prev <= 0 {
		return time.Second
	}
	return min(2*prev, resignRetryMax)
}

// maybeResign re-signs when a signature is due, or is not valid at the
// current time because the clock jumped.
func (s *Signald) maybeResign(ctx context.Context) error {
	if !s.resignDue(s.now()) {
		return nil
	}
	return s.resign(ctx)
}
