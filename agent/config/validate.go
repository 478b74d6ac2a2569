package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Bounds checked by Validate.
const (
	maxSkewLimit     = time.Hour
	maxDNSTimeout    = time.Minute
	maxAttempts      = 10
	maxRounds        = 10
	maxJitter        = 24 * time.Hour
	minDaemonPause   = 10 * time.Second
	minMaxInterval   = time.Minute
	maxMirrorNameLen = 253
)

// validator collects every problem so one run of the agent reports them all.
type validator struct{ errs []error }

func (v *validator) bad(key, format string, args ...any) {
	v.errs = append(v.errs, &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)})
}

// Validate checks the whole configuration and normalises server addresses
// (a missing port becomes 53) and the signal name (made fully qualified).
// The error joins one KeyError per problem.
func (c *Config) Validate() error {
	v := &validator{}
	v.mirror(c)
	v.signal(&c.Signal)
	v.dns(&c.DNS)
	v.dnssec(&c.DNSSEC, &c.DNS)
	v.sync(&c.Sync)
	v.trees(c)
	v.checkin(&c.Checkin, c.Mirror)
	v.syncSources(&c.SyncSources, c.Mirror)
	v.log(&c.Log)
	return errors.Join(v.errs...)
}

func (v *validator) mirror(c *Config) {
	if c.Mirror == "" {
		return
	}
	if len(c.Mirror) > maxMirrorNameLen || strings.IndexFunc(c.Mirror, notNameRune) >= 0 {
		v.bad("mirror", "%q: use 1 to %d of a-z A-Z 0-9 . - _", c.Mirror, maxMirrorNameLen)
	}
}

func notNameRune(r rune) bool {
	ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
	return !ok
}

func (v *validator) signal(s *Signal) {
	if err := checkDomain(s.Name); err != nil {
		v.bad("signal.name", "%v", err)
	} else if !strings.HasSuffix(s.Name, ".") {
		s.Name += "."
	}
	if len(s.Layout) == 0 {
		v.bad("signal.layout", "required: every tree of the record in order, e.g. [\"content\", \"altarch\", \"vault\"]")
	} else if err := signal.Layout(s.Layout).Validate(); err != nil {
		v.bad("signal.layout", "%v", err)
	}
	if s.MaxSkew < 0 || s.MaxSkew.D() > maxSkewLimit {
		v.bad("signal.max_skew", "%s: want 0 to %s", s.MaxSkew.D(), maxSkewLimit)
	}
}

// checkDomain accepts a DNS name of letters, digits, '-' and '_' labels.
func checkDomain(name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return fmt.Errorf("%q is not a domain name", name)
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || strings.IndexFunc(label, notLabelRune) >= 0 {
			return fmt.Errorf("%q: bad label %q", name, label)
		}
	}
	return nil
}

func notLabelRune(r rune) bool {
	ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
	return !ok
}

func (v *validator) dns(d *DNS) {
	if len(d.Resolvers) > 0 && len(d.Authoritative) > 0 {
		v.bad("dns.authoritative", "set either dns.resolvers or dns.authoritative, not both")
	}
	if len(d.DoH) > 0 && len(d.Resolvers)+len(d.Authoritative) > 0 {
		v.bad("dns.doh", "set either dns.doh or dns.resolvers/dns.authoritative, not both")
	}
	v.addrs("dns.resolvers", d.Resolvers)
	v.addrs("dns.authoritative", d.Authoritative)
	for i, u := range d.DoH {
		if err := checkDoHURL(u); err != nil {
			v.bad(fmt.Sprintf("dns.doh[%d]", i), "%v", err)
		}
	}
	if d.Timeout <= 0 || d.Timeout.D() > maxDNSTimeout {
		v.bad("dns.timeout", "%s: want more than 0 and at most %s", d.Timeout.D(), maxDNSTimeout)
	}
	if d.Attempts < 1 || d.Attempts > maxAttempts {
		v.bad("dns.attempts", "%d: want 1 to %d", d.Attempts, maxAttempts)
	}
}

// addrs checks and normalises IP[:port] entries in place.
func (v *validator) addrs(key string, list []string) {
	for i, a := range list {
		n, err := NormalizeAddr(a)
		if err != nil {
			v.bad(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			continue
		}
		list[i] = n
	}
}

// NormalizeAddr turns "192.0.2.1", "192.0.2.1:53", "2001:db8::1" or
// "[2001:db8::1]:53" into host:port. Names are refused: finding the DNS
// servers must not need DNS.
func NormalizeAddr(a string) (string, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = strings.Trim(a, "[]"), "53"
	}
	if net.ParseIP(host) == nil {
		return "", fmt.Errorf("%q: want an IP address with an optional port", a)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return "", fmt.Errorf("%q: bad port %q", a, port)
	}
	return net.JoinHostPort(host, port), nil
}

func (v *validator) dnssec(s *DNSSEC, d *DNS) {
	switch s.Mode {
	case ModeOff:
		if s.RequireDNSSEC {
			v.bad("dnssec.require_dnssec", "needs dnssec.mode %q or %q", ModeResolverAD, ModePinned)
		}
	case ModeResolverAD:
		v.resolverAD(s, d)
	case ModePinned:
		if len(s.Pins) == 0 {
			v.bad("dnssec.pins", "mode %q needs at least one DS or DNSKEY record", ModePinned)
		}
	default:
		v.bad("dnssec.mode", "%q: want %q, %q or %q", s.Mode, ModeOff, ModeResolverAD, ModePinned)
	}
	if s.MaxSignatureAge <= 0 {
		v.bad("dnssec.max_signature_age", "%s: want more than 0", s.MaxSignatureAge.D())
	}
}

func (v *validator) resolverAD(s *DNSSEC, d *DNS) {
	if len(d.Authoritative) > 0 {
		v.bad("dnssec.mode", "%q needs dns.resolvers: authoritative servers do not set AD", ModeResolverAD)
	}
	if len(s.TrustedResolvers) == 0 {
		v.bad("dnssec.trusted_resolvers", "mode %q needs the resolvers whose AD bit is trusted", ModeResolverAD)
	}
	if len(d.DoH) == 0 {
		v.addrs("dnssec.trusted_resolvers", s.TrustedResolvers)
		return
	}
	// Over DoH the AD bit counts only from an endpoint listed in both.
	for i, u := range s.TrustedResolvers {
		if !slices.Contains(d.DoH, u) {
			v.bad(fmt.Sprintf("dnssec.trusted_resolvers[%d]", i), "%q: with dns.doh, list DoH URLs of dns.doh exactly as written there", u)
		}
	}
}

// checkDoHURL accepts an absolute https URL with a host and no user
// information or fragment: the TLS certificate of that host is verified.
func checkDoHURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q: %w", s, err)
	case u.Scheme != "https":
		return fmt.Errorf("%q: want an https:// URL, e.g. https://signal.example.org/dns-query", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: no host", s)
	case u.User != nil:
		return fmt.Errorf("%q: user information is not allowed", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q: a fragment is not allowed", s)
	}
	return nil
}

func (v *validator) sync(s *Sync) {
	if s.Rsync == "" {
		v.bad("sync.rsync", "required")
	}
	for i, o := range s.Options {
		if !strings.HasPrefix(o, "-") {
			v.bad(fmt.Sprintf("sync.options[%d]", i), "%q is not an option", o)
		}
	}
	if s.LockFile == "" {
		v.bad("sync.lock_file", "required")
	}
	if s.StateFile == "" {
		v.bad("sync.state_file", "required")
	}
	if s.Jitter < 0 || s.Jitter.D() > maxJitter {
		v.bad("sync.jitter", "%s: want 0 to %s", s.Jitter.D(), maxJitter)
	}
	if s.DaemonInterval.D() < minDaemonPause {
		v.bad("sync.daemon_interval", "%s: want at least %s", s.DaemonInterval.D(), minDaemonPause)
	}
	if s.MaxInterval.D() < minMaxInterval {
		v.bad("sync.max_interval", "%s: want at least %s", s.MaxInterval.D(), minMaxInterval)
	}
	v.positive("sync.connect_timeout", s.ConnectTimeout)
	v.positive("sync.io_timeout", s.IOTimeout)
	if s.RunTimeout < 0 {
		v.bad("sync.run_timeout", "%s: want 0 (none) or more", s.RunTimeout.D())
	}
	if s.MaxRounds < 1 || s.MaxRounds > maxRounds {
		v.bad("sync.max_rounds", "%d: want 1 to %d", s.MaxRounds, maxRounds)
	}
	v.share("sync.max_delete_share", s.MaxDeleteShare)
}

// share checks a max_delete_share: 0 (off) up to 1.
func (v *validator) share(key string, f float64) {
	if !(f >= 0 && f <= 1) {
		v.bad(key, "%v: want 0 (off) to 1", f)
	}
}

func (v *validator) positive(key string, d Duration) {
	if d <= 0 {
		v.bad(key, "%s: want more than 0", d.D())
	}
}

func (v *validator) trees(c *Config) {
	if len(c.Trees) == 0 {
		v.bad("trees", "configure at least one tree, e.g. [trees.content]")
	}
	names := make([]string, 0, len(c.Trees))
	for name := range c.Trees {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v.tree("trees."+name, name, c.Trees[name], c.Signal.Layout)
	}
}

func (v *validator) tree(key, name string, t *Tree, layout []string) {
	if t == nil {
		v.bad(key, "empty tree")
		return
	}
	if len(layout) > 0 && !slices.Contains(layout, name) {
		v.bad(key, "tree %q is not in signal.layout %v", name, layout)
	}
	if t.Path == "" || !filepath.IsAbs(t.Path) {
		v.bad(key+".path", "%q: want an absolute path", t.Path)
	}
	if t.TimeFile == "" || path.IsAbs(t.TimeFile) || slices.Contains(strings.Split(t.TimeFile, "/"), "..") {
		v.bad(key+".time_file", "%q: want a path inside the tree", t.TimeFile)
	}
	if len(t.Sources) == 0 {
		v.bad(key+".sources", "at least one rsync source is required")
	}
	if t.MaxDeleteShare != nil {
		v.share(key+".max_delete_share", *t.MaxDeleteShare)
	}
	for i, s := range t.Sources {
		if _, err := ParseSource(s); err != nil {
			v.bad(fmt.Sprintf("%s.sources[%d]", key, i), "%v", err)
		}
	}
	for i, e := range append(slices.Clip(t.Excludes), t.Metadata...) {
		if e == "" || strings.ContainsAny(e, "\n\x00") {
			v.bad(fmt.Sprintf("%s.excludes/metadata[%d]", key, i), "empty or contains a newline or NUL")
		}
	}
}

func (v *validator) checkin(c *Checkin, mirror string) {
	if c.URL == "" {
		return
	}
	v.httpURL("checkin.url", c.URL)
	if mirror == "" {
		v.bad("mirror", "required when checkin.url is set")
	}
	if (c.Token == "") == (c.TokenFile == "") {
		v.bad("checkin.token", "set exactly one of checkin.token and checkin.token_file")
	}
	v.positive("checkin.timeout", c.Timeout)
}

func (v *validator) syncSources(s *SyncSources, mirror string) {
	if s.URL == "" {
		return
	}
	v.httpURL("sync_sources.url", s.URL)
	if mirror == "" {
		v.bad("mirror", "required when sync_sources.url is set")
	}
	if _, err := PublicKey(s.PublicKey); err != nil {
		v.bad("sync_sources.public_key", "%v", err)
	}
	if len(s.Allow) == 0 {
		v.bad("sync_sources.allow", "list the rsync hosts advice may name")
	}
	for i, a := range s.Allow {
		if err := checkDomain(strings.TrimPrefix(a, "*.")); err != nil && net.ParseIP(a) == nil {
			v.bad(fmt.Sprintf("sync_sources.allow[%d]", i), "%q: want a host name, an IP or *.domain", a)
		}
	}
	v.positive("sync_sources.timeout", s.Timeout)
}

// PublicKey decodes a base64 Ed25519 public key.
func PublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("want the base64 of a %d-byte Ed25519 public key", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

func (v *validator) httpURL(key, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.bad(key, "%q: want an http or https URL", s)
	}
}

func (v *validator) log(l *Log) {
	if _, err := ParseLevel(l.Level); err != nil {
		v.bad("log.level", "%v", err)
	}
	if _, err := ParseLevel(l.StderrLevel); err != nil {
		v.bad("log.stderr_level", "%v", err)
	}
	if l.Format != "text" && l.Format != "json" {
		v.bad("log.format", "%q: want text or json", l.Format)
	}
}

// ParseLevel reads debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
}
