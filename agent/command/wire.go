package command

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/agent/advice"
	"github.com/mirrorsignal/mirrorsignal/agent/checkin"
	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/lockfile"
	"github.com/mirrorsignal/mirrorsignal/agent/pass"
	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// build wires the real components. Its errors are configuration errors.
func (a *agent) build() (*pass.Pass, error) {
	reader, err := a.reader()
	if err != nil {
		return nil, err
	}
	d := pass.Deps{
		Config: a.cfg,
		Log:    a.log,
		Now:    a.env.Clock.Now,
		Reader: reader,
		Rsync:  &rsync.Runner{Binary: a.cfg.Sync.Rsync, RunTimeout: a.cfg.Sync.RunTimeout.D(), Log: a.log.With("component", "rsync")},
		Lock:   a.lock,
	}
	if d.Checkin, err = a.checkin(); err != nil {
		return nil, err
	}
	if a.cfg.SyncSources.URL != "" {
		d.Advice = a.advice()
	}
	return pass.New(d), nil
}

func (a *agent) lock() (func() error, error) {
	l, err := lockfile.TryLock(a.cfg.Sync.LockFile)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}

func (a *agent) reader() (*query.Reader, error) {
	servers, recursive := a.cfg.DNS.Resolvers, true
	var https *http.Client
	switch {
	case len(a.cfg.DNS.DoH) > 0:
		servers, https = a.cfg.DNS.DoH, query.HTTPSClient(nil)
	case len(a.cfg.DNS.Authoritative) > 0:
		servers, recursive = a.cfg.DNS.Authoritative, false
	}
	if len(servers) == 0 {
		var err error
		if servers, err = query.SystemResolvers(a.resolvConf()); err != nil {
			return nil, &config.KeyError{Key: "dns.resolvers", Reason: fmt.Sprintf("empty, and %v", err)}
		}
	}
	o := query.Options{
		Client:          &query.Client{Servers: servers, Recursive: recursive, Timeout: a.cfg.DNS.Timeout.D(), Attempts: a.cfg.DNS.Attempts, HTTPS: https},
		Name:            a.cfg.Signal.Name,
		Layout:          signal.Layout(a.cfg.Signal.Layout),
		Mode:            a.cfg.DNSSEC.Mode,
		RequireDNSSEC:   a.cfg.DNSSEC.RequireDNSSEC,
		Trusted:         a.cfg.DNSSEC.TrustedResolvers,
		MaxSignatureAge: a.cfg.DNSSEC.MaxSignatureAge.D(),
		MaxSkew:         a.cfg.Signal.MaxSkew.D(),
		Now:             a.env.Clock.Now,
	}
	if o.Mode == query.ModePinned {
		pins, i, err := query.ParsePins(a.cfg.DNSSEC.Pins, a.cfg.Signal.Name)
		if err != nil {
			return nil, &config.KeyError{Key: fmt.Sprintf("dnssec.pins[%d]", i), Reason: err.Error()}
		}
		o.Pins = pins
	}
	return query.NewReader(o), nil
}

func (a *agent) resolvConf() string {
	if a.env.ResolvConf != "" {
		return a.env.ResolvConf
	}
	return "/etc/resolv.conf"
}

func (a *agent) checkin() (pass.Checkiner, error) {
	c := a.cfg.Checkin
	if c.URL == "" {
		return nil, nil
	}
	token := []byte(c.Token)
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return nil, &config.KeyError{Key: "checkin.token_file", Reason: err.Error()}
		}
		token = []byte(strings.TrimSpace(string(b)))
	}
	if len(token) == 0 {
		return nil, &config.KeyError{Key: "checkin.token", Reason: "empty token"}
	}
	return &checkin.Client{URL: c.URL, Token: token, HTTP: &http.Client{Timeout: c.Timeout.D()}, Now: a.env.Clock.Now}, nil
}

func (a *agent) advice() *advice.Client {
	s := a.cfg.SyncSources
	key, _ := config.PublicKey(s.PublicKey) // checked by Validate
	return &advice.Client{URL: s.URL, Mirror: a.cfg.Mirror, Key: key, Allow: s.Allow,
		HTTP: &http.Client{Timeout: s.Timeout.D()}, Now: a.env.Clock.Now}
}
