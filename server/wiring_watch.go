package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice"
	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice/advicekey"
	"github.com/mirrorsignal/mirrorsignal/server/agentapi/checkin"
	"github.com/mirrorsignal/mirrorsignal/server/alert"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/nscheck"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/repomd"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// thinEvery is how often the checker's history is thinned.
const thinEvery = time.Hour

// alerts builds the notifier when a channel is configured.
func (w *wiring) alerts() error {
	cfg, err := alertConfig(w.cfg)
	if err != nil || (cfg.Webhook == nil && cfg.SMTP == nil) {
		return err
	}
	n, err := alert.New(cfg, w.reg, w.log)
	if err != nil {
		return err
	}
	w.alert = n
	w.add("alert", n.Run)
	return nil
}

// alertConfig reads the channels' secrets and CA file.
func alertConfig(c *config.Config) (alert.Config, error) {
	a := c.Alert
	out := alert.Config{MinGap: a.MinGap.Duration, StaleAfter: a.StaleAfter.Duration, NameServerGrace: a.NameServerGrace.Duration}
	if a.Webhook.URL != "" {
		secret, err := readSecret(c, "alert.webhook.secret_file", a.Webhook.SecretFile)
		if err != nil {
			return out, err
		}
		out.Webhook = &alert.WebhookConfig{URL: a.Webhook.URL, Secret: secret, Timeout: a.Webhook.Timeout.Duration}
	}
	if s := a.SMTP; s.Addr != "" {
		sc := &alert.SMTPConfig{Addr: s.Addr, From: s.From, To: s.To, Username: s.Username, Timeout: s.Timeout.Duration}
		if s.PasswordFile != "" {
			pw, err := readSecret(c, "alert.smtp.password_file", s.PasswordFile)
			if err != nil {
				return out, err
			}
			sc.Password = pw
		}
		if s.CAFile != "" {
			pem, err := os.ReadFile(c.StatePath(s.CAFile))
			pool := x509.NewCertPool()
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				return out, &config.Error{Key: "alert.smtp.ca_file", Reason: fmt.Sprintf("no PEM certificates in %s: %v", c.StatePath(s.CAFile), err)}
			}
			sc.RootCAs = pool
		}
		out.SMTP = sc
	}
	return out, nil
}

func readSecret(c *config.Config, key, file string) (string, error) {
	b, err := os.ReadFile(c.StatePath(file))
	if err != nil {
		return "", &config.Error{Key: key, Reason: err.Error()}
	}
	return strings.TrimSpace(string(b)), nil
}

// nameServers builds the watch of every authoritative server, in serve
// mode (in RFC 2136 mode the primary keeps its own serial).
func (w *wiring) nameServers() error {
	nc := w.cfg.NSCheck
	if !nc.Enabled || w.cfg.Publish.Mode != "serve" || !w.cfg.DNS.Enabled {
		return nil
	}
	var ns []nscheck.NS
	for _, n := range w.cfg.Zone.NS {
		ns = append(ns, nscheck.NS{Name: n.Name, Addresses: selfPort(n.Addresses, w.cfg.DNS.Listen)})
	}
	secondaries := append([]string(nil), nc.ExtraServers...)
	for _, s := range w.cfg.Notify {
		secondaries = append(secondaries, s.Address)
	}
	o := nscheck.Options{Registerer: w.reg, Log: w.log, Now: w.now, Config: nscheck.Config{
		Zone: w.cfg.Zone.Origin, SignalName: w.cfg.Zone.SignalName, Servers: nscheck.ServersOf(ns, secondaries),
		Interval: nc.Interval.Duration, Grace: nc.Grace.Duration, Timeout: nc.Timeout.Duration}}
	if n := w.alert; n != nil {
		o.OnChange = func(ch []nscheck.Change) { n.NotifyNameServers(context.Background(), alert.LagsOf(ch)) }
	}
	if len(o.Servers) == 0 {
		return nil
	}
	c, err := nscheck.New(o)
	if err != nil {
		return err
	}
	w.zone.Subscribe(c)
	w.nsView = c
	w.add("nscheck", c.Run)
	return nil
}

// checker builds the mirror checker over the mirror list, with its history
// in checker.db.
func (w *wiring) checker(ctx context.Context) error {
	kc := w.cfg.Checker
	if !kc.Enabled || w.fleet == nil {
		return nil
	}
	db, err := store.OpenChecker(ctx, w.cfg.StatePath("checker.db"))
	if err != nil {
		return err
	}
	w.closers = append(w.closers, db.Close)
	prober, err := probe.New(probe.Config{Version: w.version, Timeout: kc.Timeout.Duration})
	if err != nil {
		return err
	}
	o := checker.Options{Fleet: w.fleet.Fleet, Prober: prober, TimeFile: w.cfg.Publish.TimeFile,
		Interval: kc.Interval.Duration, FastInterval: kc.FastInterval.Duration, FastWindow: kc.FastWindow.Duration,
		Hysteresis: kc.Hysteresis, Concurrency: kc.Concurrency, PerHost: kc.PerHost,
		Now: w.now, Log: w.log, Sink: db, Registerer: w.reg}
	if w.cfg.Publish.HeartbeatInterval.Duration > 0 {
		o.HeartbeatFile = w.cfg.Publish.HeartbeatFile
	}
	if n := w.alert; n != nil {
		o.Notify = func(trs []checker.Transition) { n.Notify(context.Background(), trs) }
	}
	// Repository consistency: each tree's repo_base is its master copy.
	if o.Repomd, err = repomd.NewFetcher(repomd.Config{Version: w.version, Timeout: kc.Timeout.Duration}); err != nil {
		return err
	}
	o.RepoBases = map[string]string{}
	for _, t := range w.cfg.Trees {
		if t.RepoBase != "" {
			o.RepoBases[t.Name] = t.RepoBase
		}
	}
	// Propagation outlives a restart: first-fresh times go to checker.db
	// and come back, with the tier-1 hosts the publish gate saw, when the
	// checker learns the publish. Both run on the checker's loop.
	o.FirstFresh = func(tree string, stamp int64, mirror string, at time.Time) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.RecordFirstFresh(ctx, tree, stamp, mirror, at); err != nil {
			w.log.Error("recording first fresh", "component", "checker", "err", err)
		}
	}
	o.Restore = func(tree string, stamp int64) map[string]time.Time {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := db.FirstFresh(ctx, tree, stamp)
		if err != nil {
			w.log.Error("restoring first fresh", "component", "checker", "tree", tree, "err", err)
			out = map[string]time.Time{}
		}
		pubs, err := w.store.ListPublishes(ctx, 20, false) // the newest: the one just committed is among them
		if err != nil {
			w.log.Error("restoring tier-1 first seen", "component", "checker", "tree", tree, "err", err)
		}
		for _, p := range pubs {
			if p.Tree != tree || p.Stamp != stamp {
				continue
			}
			for _, h := range p.Hosts {
				if at, ok := out[h.Host]; !ok || h.FirstSeen.Before(at) {
					out[h.Host] = h.FirstSeen
				}
			}
		}
		return out
	}
	c, err := checker.New(o)
	if err != nil {
		return err
	}
	w.zone.Subscribe(zone.SubscriberFunc(func(s *zone.Snapshot) { c.SignalChanged(s.Record) }))
	w.checkerView, w.checkerDB = c, db
	w.add("checker", c.Run)
	if err := w.checkin(c); err != nil {
		return err
	}
	adv, err := advice.New(advice.Options{KeyPath: w.cfg.StatePath(advicekey.FileName), Fleet: w.fleet.Fleet, View: c.View,
		Now: w.now, Log: w.log, Registerer: w.reg})
	if err != nil {
		return err
	}
	w.public = append(w.public, adv)
	policy := store.Policy{Full: kc.KeepFull.Duration, Hourly: kc.KeepHourly.Duration, Daily: kc.KeepDaily.Duration}
	w.add("history", func(ctx context.Context) error { return thinLoop(ctx, db, policy, w.now, w.log) })
	return nil
}

// thinLoop thins the history every thinEvery; a failure is logged and
// retried at the next tick.
func thinLoop(ctx context.Context, db *store.CheckerDB, p store.Policy, now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(thinEvery)
	defer t.Stop()
	for {
		if n, err := db.Thin(ctx, now(), p); err != nil && ctx.Err() == nil {
			log.Error("thinning the checker history", "component", "history", "err", err)
		} else if n.Results > 0 {
			log.Info("checker history thinned", "component", "history", "results", n.Results, "first_fresh", n.FirstFresh)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// selfPort gives an NS address that is signald's own listening address
// signald's port, so a name server on a high test port is asked there.
func selfPort(addrs []string, listen string) []string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return addrs
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a
		if a == host {
			out[i] = net.JoinHostPort(a, port)
		}
	}
	return out
}

// checkin builds POST /api/v1/checkin: an agent's signed report, whose only
// effect is an immediate re-check of its mirror. The tokens are re-read on
// SIGHUP; a file that fails keeps the previous tokens.
func (w *wiring) checkin(c *checker.Checker) error {
	read := func() (map[string][]byte, error) {
		return checkin.ReadTokens(checkin.TokenFiles(w.fleet.Fleet().Mirrors()))
	}
	m, err := read()
	if err != nil {
		return fmt.Errorf("check-in tokens: %w", err)
	}
	toks := new(checkin.Tokens)
	toks.Set(m)
	h, err := checkin.New(checkin.Options{Tokens: toks.Get, Recheck: c.Recheck, Registerer: w.reg, Logger: w.log, Now: w.now})
	if err != nil {
		return err
	}
	w.public = append(w.public, h)
	w.reloaders = append(w.reloaders, func() error {
		m, err := read()
		if err != nil {
			return fmt.Errorf("keeping the previous check-in tokens: %w", err)
		}
		toks.Set(m)
		return nil
	})
	return nil
}
