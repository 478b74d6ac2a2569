package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/doh"
	"github.com/mirrorsignal/mirrorsignal/server/alert"
	"github.com/mirrorsignal/mirrorsignal/server/api"
	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/notify"
	"github.com/mirrorsignal/mirrorsignal/server/nscheck"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/push"
	"github.com/mirrorsignal/mirrorsignal/server/rfc2136"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// wiring holds what the build steps share while New runs.
type wiring struct {
	cfg      *config.Config
	log      *slog.Logger
	now      func() time.Time
	store    *store.Store
	reg      *prometheus.Registry
	secrets  map[string]string // [[tsig]] secrets by key name, read once
	zone     *zone.Zone
	dnsReady <-chan struct{} // closed once DNS listens; nil without DNS
	pub      *publish.Publisher
	public   []httpserve.Routes
	services []service
	fleet    *mirrors.Current // nil without mirrors_file
	version  string
	alert    *alert.Notifier // nil without a channel
	// The read model and the views that feed it (nil when off).
	hub         *status.Hub
	checkerView *checker.Checker
	checkerDB   *store.CheckerDB
	nsView      *nscheck.Checker
	closers     []func() error // run when signald stops
	// reloaders run on SIGHUP, in order, after the keys.
	reloaders []func() error
}

func newWiring(cfg *config.Config, log *slog.Logger, now func() time.Time, st *store.Store) (*wiring, error) {
	secrets, err := cfg.TSIGSecrets()
	if err != nil {
		return nil, err
	}
	reg := registry()
	z, err := zone.New(zone.Options{Config: cfg, Store: st, Now: now, Log: log, Registerer: reg})
	if err != nil {
		return nil, err
	}
	return &wiring{cfg: cfg, log: log, now: now, store: st, reg: reg, secrets: secrets, zone: z}, nil
}

func goCollectors() []prometheus.Collector {
	return []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
}

func (w *wiring) add(name string, run func(context.Context) error) {
	w.services = append(w.services, service{name, run})
}

// dns builds the authoritative server, which answers from every zone.
func (w *wiring) dns() error {
	c, err := dnsConfig(w.cfg, w.secrets)
	if err != nil {
		return err
	}
	if err := rrl.RegisterMetrics(w.reg, c.RRL); err != nil {
		return err
	}
	if !w.cfg.DNS.Enabled {
		return nil
	}
	srv := authdns.New(c, w.log)
	w.zone.Subscribe(zone.Serve(srv))
	w.public = append(w.public, doh.New(srv)) // GET,POST /dns-query from the same snapshot
	w.dnsReady = srv.Ready()
	w.add("dns", srv.Run)
	return nil
}

// rfc2136 builds the pusher into an existing primary, in that mode.
func (w *wiring) rfc2136() error {
	if w.cfg.Publish.Mode != "rfc2136" {
		return nil
	}
	r := w.cfg.Publish.RFC2136
	t := rfc2136.Target{Server: r.Server, Zone: r.Zone, KeyName: r.TSIGKey, Secret: w.secrets[r.TSIGKey], Timeout: r.Timeout.Duration}
	p := rfc2136.NewPusher(t, w.cfg.Zone.SignalName, uint32(w.cfg.Zone.SignalTTL.Duration/time.Second), w.log)
	p.Heartbeat = r.Heartbeat.Duration
	w.zone.Subscribe(zone.Push(p))
	w.add("rfc2136", p.Run)
	return nil
}

// notify builds the NOTIFY sender of the [[notify]] secondaries. It starts
// sending once DNS listens, so a secondary's transfer finds it up.
func (w *wiring) notify() error {
	if len(w.cfg.Notify) == 0 || w.dnsReady == nil {
		return nil
	}
	nc := notify.Config{Zone: w.cfg.Zone.Origin}
	for _, sec := range w.cfg.Notify {
		t := notify.Target{Addr: sec.Address}
		if sec.TSIGKey != "" {
			t.Key = &notify.Key{Name: sec.TSIGKey, Secret: w.secrets[sec.TSIGKey]}
		}
		nc.Targets = append(nc.Targets, t)
	}
	n, err := notify.New(nc, w.log)
	if err != nil {
		return err
	}
	w.zone.Subscribe(zone.Announce(n))
	ready := w.dnsReady
	w.add("notify", func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return nil
		case <-ready:
		}
		return n.Run(ctx)
	})
	return nil
}

// publicAPI builds the public JSON routes, which report every zone.
func (w *wiring) publicAPI() error {
	sig := api.NewSignal()
	w.zone.Subscribe(sig)
	w.public = append(w.public, sig,
		httpserve.Handler{Pattern: "GET /metrics", Handler: promhttp.HandlerFor(w.reg, promhttp.HandlerOpts{})})
	return nil
}

// mirrors loads the mirror list (publish.mirrors_file), when there is one.
func (w *wiring) mirrors() error {
	path := w.cfg.MirrorsPath()
	if path == "" {
		return nil
	}
	f, err := mirrors.Open(path, w.cfg.Layout())
	if err != nil {
		return err
	}
	w.fleet = f
	w.reloaders = append(w.reloaders, f.Reload)
	return nil
}

// publisher builds the publisher, which commits into the zone: planting
// on the masters, gating on the tier-1 hosts of mirrors.toml, pushing to
// opted-in mirrors after a commit.
func (w *wiring) publisher() error {
	prober, err := probe.New(probe.Config{Version: w.version})
	if err != nil {
		return err
	}
	pc := w.cfg.Publish
	o := publish.Options{
		Store: w.store, Layout: w.cfg.Layout(), MaxFuture: pc.MaxFuture.Duration,
		Now: w.now, Commit: w.zone.Commit, Log: w.log, Registerer: w.reg,
		Trees: publish.NewConfigTrees(w.cfg, w.fleet),
		Gate:  publish.Gate{TimeFile: pc.TimeFile, Interval: pc.GateInterval.Duration, Timeout: pc.GateTimeout.Duration, Fetch: publish.ProbeFetcher{Prober: prober}},
	}
	if w.cfg.Push.Enabled {
		pusher, err := push.NewPusher(w.reg, w.log)
		if err != nil {
			return err
		}
		o.Push = publish.PushTriggers(w.cfg, pusher, w.log)
	}
	p, err := publish.New(o)
	if err != nil {
		return err
	}
	w.pub = p
	w.add("publish", p.Run)
	if hb := pc.HeartbeatInterval.Duration; hb > 0 {
		w.add("heartbeat", func(ctx context.Context) error { return p.Heartbeat(ctx, pc.HeartbeatFile, hb) })
	}
	return nil
}

// admin builds the admin listener: a Unix socket in state_dir by default,
// or loopback TCP where every request needs the token.
func (w *wiring) admin() error {
	if !w.cfg.Admin.Enabled {
		return nil
	}
	token, err := adminToken(w.cfg.TokenPath())
	if err != nil {
		return err
	}
	_, tcp := w.cfg.AdminTCP()
	h := httpserve.Mux(api.NewAdmin(w.pub, token, tcp, w.log))
	w.add("admin", func(ctx context.Context) error {
		ln, err := w.listenAdmin()
		if err != nil {
			return err
		}
		w.log.Info("admin listening", "component", "admin", "addr", ln.Addr().String())
		return httpserve.Serve(ctx, ln, h)
	})
	return nil
}

func (w *wiring) listenAdmin() (net.Listener, error) {
	if ap, tcp := w.cfg.AdminTCP(); tcp {
		ln, err := net.Listen("tcp", ap.String())
		if err != nil {
			return nil, fmt.Errorf("admin.listen: %w", err)
		}
		return ln, nil
	}
	path, _ := w.cfg.AdminSocket()
	return httpserve.ListenUnix(path)
}

// http builds the public listener from the routes the components
// registered.
func (w *wiring) http() error {
	if !w.cfg.HTTP.Enabled {
		return nil
	}
	h := httpserve.Mux(w.public...)
	w.add("http", func(ctx context.Context) error { return serveTCP(ctx, w.log, w.cfg.HTTP.Listen, h) })
	return nil
}

func serveTCP(ctx context.Context, log *slog.Logger, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	log.Info("http listening", "component", "http", "addr", ln.Addr().String())
	return httpserve.Serve(ctx, ln, h)
}

// dnsConfig is the authoritative server's configuration.
func dnsConfig(cfg *config.Config, secrets map[string]string) (authdns.Config, error) {
	c := authdns.Config{
		UDPAddr: cfg.DNS.Listen, TCPAddr: cfg.DNS.Listen,
		MaxUDPSize:     cfg.DNS.MaxUDPSize,
		TCPIdleTimeout: cfg.DNS.TCPIdleTimeout.Duration,
		MaxTCPConns:    cfg.DNS.MaxTCPConnections,
		Transfer:       authdns.TransferConfig{AllowFrom: cfg.AllowFrom(), Keys: map[string]string{}},
	}
	if r := cfg.DNS.RRL; r.Enabled {
		c.RRL = rrl.New(rrl.Config{
			Rate: r.Rate, Slip: r.Slip, IPv4Bits: r.IPv4Prefix, IPv6Bits: r.IPv6Prefix,
			TableSize: r.TableSize, Exempt: cfg.RRLExempt(),
		})
	}
	// Keys that may transfer the zone: those listed in transfer.keys, and
	// the key each [[notify]] secondary was given (it signs its SOA checks
	// and transfers with it).
	for _, name := range cfg.Transfer.Keys {
		c.Transfer.Keys[name] = secrets[name]
	}
	for _, sec := range cfg.Notify {
		if sec.TSIGKey != "" {
			c.Transfer.Keys[sec.TSIGKey] = secrets[sec.TSIGKey]
		}
	}
	return c, c.Validate()
}
