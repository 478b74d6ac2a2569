package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Validate checks every value and reports every problem at once: the error
// joins one *Error per problem, each naming its key.
func (c *Config) Validate() error {
	checks := []func() error{
		c.validateZone, c.validateTrees, c.validateDNS, c.validateHTTP, c.validateAdmin, c.validateMisc,
		c.validateTSIG, c.validateTransfer, c.validatePublishMode, c.validatePublisher, c.validateWatch,
		c.validateStatus, c.validateMirrorlist, c.validateReplica,
	}
	var errs []error
	for _, check := range checks {
		errs = append(errs, unjoin(check())...)
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err (err itself when it joins
// none; none for nil).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// problems collects the *Errors of one check.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, keyErr(key, format, args...))
}

func (p problems) err() error { return errors.Join(p...) }

func keyErr(key, format string, args ...any) error {
	return &Error{Key: key, Reason: fmt.Sprintf(format, args...)}
}

func (c *Config) validateZone() error {
	var p problems
	z := c.Zone
	originErr := checkName(z.Origin)
	if originErr != nil {
		p.add("zone.origin", "%v", originErr)
	}
	if err := checkName(z.SignalName); err != nil {
		p.add("zone.signal_name", "%v", err)
	} else if originErr == nil && (!inZone(z.SignalName, z.Origin) || z.SignalName == z.Origin) {
		p.add("zone.signal_name", "%q is not below zone.origin %q", z.SignalName, z.Origin)
	}
	if len(z.NS) == 0 {
		p.add("zone.ns", "at least one name server is required")
	}
	for i, ns := range z.NS {
		c.checkNS(&p, fmt.Sprintf("zone.ns[%d]", i), ns)
	}
	if err := checkName(z.SOA.MName); err != nil {
		p.add("zone.soa.mname", "%v", err)
	}
	if err := checkName(z.SOA.RName); err != nil {
		p.add("zone.soa.rname", "%v", err)
	}
	c.checkTTLs(&p)
	return p.err()
}

func (c *Config) checkNS(p *problems, key string, ns NameServer) {
	if err := checkName(ns.Name); err != nil {
		p.add(key+".name", "%v", err)
	} else if inZone(ns.Name, c.Zone.Origin) && len(ns.Addresses) == 0 {
		p.add(key+".addresses", "%s is inside the zone and needs glue addresses", ns.Name)
	}
	for _, a := range ns.Addresses {
		if _, err := netip.ParseAddr(a); err != nil {
			p.add(key+".addresses", "%q is not an IP address", a)
		}
	}
}

func (c *Config) checkTTLs(p *problems) {
	z := c.Zone
	ttls := []struct {
		key      string
		v        time.Duration
		min, max time.Duration
	}{
		{"zone.signal_ttl", z.SignalTTL.Duration, time.Second, 24 * time.Hour},
		{"zone.ttl", z.TTL.Duration, time.Second, 7 * 24 * time.Hour},
		{"zone.soa.refresh", z.SOA.Refresh.Duration, time.Second, 30 * 24 * time.Hour},
		{"zone.soa.retry", z.SOA.Retry.Duration, time.Second, 30 * 24 * time.Hour},
		{"zone.soa.expire", z.SOA.Expire.Duration, time.Second, 365 * 24 * time.Hour},
		{"zone.soa.minimum", z.SOA.Minimum.Duration, time.Second, 24 * time.Hour},
	}
	for _, t := range ttls {
		if t.v < t.min || t.v > t.max || t.v%time.Second != 0 {
			p.add(t.key, "%s must be whole seconds between %s and %s", t.v, t.min, t.max)
		}
	}
}

func (c *Config) validateTrees() error {
	if len(c.Trees) == 0 {
		return keyErr("trees", "at least one [[trees]] entry is required")
	}
	var p problems
	if _, err := signal.ParseLayout(c.Layout().String()); err != nil {
		p.add("trees", "%v", err)
	}
	if n := len(c.Zone.SignalName); n+len(c.Trees)*11 > 255 {
		p.add("trees", "too many trees for one TXT string")
	}
	return p.err()
}

func (c *Config) validateDNS() error {
	if !c.DNS.Enabled {
		return nil
	}
	var p problems
	if _, err := netip.ParseAddrPort(c.DNS.Listen); err != nil {
		p.add("dns.listen", "%q is not an address:port", c.DNS.Listen)
	}
	if c.DNS.MaxUDPSize < 512 || c.DNS.MaxUDPSize > 4096 {
		p.add("dns.max_udp_size", "%d must be between 512 and 4096", c.DNS.MaxUDPSize)
	}
	if c.DNS.TCPIdleTimeout.Duration < 100*time.Millisecond || c.DNS.TCPIdleTimeout.Duration > 10*time.Minute {
		p.add("dns.tcp_idle_timeout", "%s must be between 100ms and 10m", c.DNS.TCPIdleTimeout)
	}
	if c.DNS.MaxTCPConnections < 1 || c.DNS.MaxTCPConnections > 1_000_000 {
		p.add("dns.max_tcp_connections", "%d must be between 1 and 1000000", c.DNS.MaxTCPConnections)
	}
	c.checkRRL(&p)
	return p.err()
}

// checkRRL checks [dns.rrl], also when it is disabled, so that turning
// it on cannot reveal a typo.
func (c *Config) checkRRL(p *problems) {
	r := c.DNS.RRL
	ranges := []struct {
		key      string
		v        int
		min, max int
	}{
		{"dns.rrl.rate", r.Rate, 1, 1_000_000},
		{"dns.rrl.slip", r.Slip, 0, 100},
		{"dns.rrl.ipv4_prefix", r.IPv4Prefix, 1, 32},
		{"dns.rrl.ipv6_prefix", r.IPv6Prefix, 1, 128},
		{"dns.rrl.table_size", r.TableSize, 64, 1 << 24},
	}
	for _, f := range ranges {
		if f.v < f.min || f.v > f.max {
			p.add(f.key, "%d must be between %d and %d", f.v, f.min, f.max)
		}
	}
	for i, e := range r.Exempt {
		if _, err := parsePrefix(e); err != nil {
			p.add(fmt.Sprintf("dns.rrl.exempt[%d]", i), "%q is not an address or prefix", e)
		}
	}
}

func (c *Config) validateHTTP() error {
	if !c.HTTP.Enabled {
		return nil
	}
	if _, err := netip.ParseAddrPort(c.HTTP.Listen); err != nil {
		return keyErr("http.listen", "%q is not an address:port", c.HTTP.Listen)
	}
	return nil
}

func (c *Config) validateMisc() error {
	var p problems
	if strings.TrimSpace(c.StateDir) == "" {
		p.add("state_dir", "must not be empty")
	}
	if c.Publish.TokenFile == "" {
		p.add("publish.token_file", "must not be empty")
	}
	if c.Publish.MaxFuture.Duration < 0 || c.Publish.MaxFuture.Duration > 24*time.Hour {
		p.add("publish.max_future", "%s must be between 0s and 24h", c.Publish.MaxFuture)
	}
	switch c.DNSSEC.Algorithm {
	case "ecdsap256", "ed25519":
	default:
		p.add("dnssec.algorithm", "%q must be ecdsap256 or ed25519", c.DNSSEC.Algorithm)
	}
	if c.DNSSEC.KeyDir == "" {
		p.add("dnssec.key_dir", "must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		p.add("log.format", "%q must be text or json", c.Log.Format)
	}
	return p.err()
}

// Layout returns the tree names in record order.
func (c *Config) Layout() signal.Layout {
	l := make(signal.Layout, len(c.Trees))
	for i, t := range c.Trees {
		l[i] = t.Name
	}
	return l
}

// TokenPath returns the admin token file's path.
func (c *Config) TokenPath() string { return c.statePath(c.Publish.TokenFile) }

// KeyDir returns the DNSSEC key directory.
func (c *Config) KeyDir() string { return c.statePath(c.DNSSEC.KeyDir) }

// StorePath returns the SQLite store's path.
func (c *Config) StorePath() string { return c.statePath("signald.db") }

func (c *Config) statePath(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return strings.TrimSuffix(c.StateDir, "/") + "/" + p
}

// checkName accepts a fully qualified, lowercase host-style domain name.
func checkName(name string) error {
	if name == "" || name == "." {
		return fmt.Errorf("a fully qualified domain name is required")
	}
	if len(name) > 254 {
		return fmt.Errorf("%q is longer than 253 characters", name)
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("%q: %v", name, err)
		}
	}
	return nil
}

func checkLabel(l string) error {
	if l == "" || len(l) > 63 {
		return fmt.Errorf("label %q must be 1 to 63 characters", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %q has character %q (use a-z 0-9 - _)", l, c)
		}
	}
	return nil
}

func inZone(name, origin string) bool {
	return name == origin || strings.HasSuffix(name, "."+origin)
}

func (c *Config) validateTSIG() error {
	var p problems
	seen := map[string]bool{}
	for i, k := range c.TSIG {
		key := fmt.Sprintf("tsig[%d]", i)
		if err := checkName(k.Name); err != nil {
			p.add(key+".name", "%v", err)
		} else if seen[k.Name] {
			p.add(key+".name", "key %s is defined twice", k.Name)
		}
		seen[k.Name] = true
		if (k.Secret == "") == (k.SecretFile == "") {
			p.add(key+".secret", "give exactly one of secret and secret_file")
		} else if k.Secret != "" {
			if err := checkSecret(k.Secret); err != nil {
				p.add(key+".secret", "%v", err)
			}
		}
	}
	return p.err()
}

func checkSecret(s string) error {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not base64: %v", err)
	}
	if len(b) < 16 {
		return fmt.Errorf("%d bytes is too short for hmac-sha256 (at least 16, 32 recommended)", len(b))
	}
	return nil
}

func (c *Config) hasTSIG(name string) bool {
	for _, k := range c.TSIG {
		if k.Name == name {
			return true
		}
	}
	return false
}

func (c *Config) validateTransfer() error {
	var p problems
	for i, a := range c.Transfer.AllowFrom {
		if _, err := parsePrefix(a); err != nil {
			p.add(fmt.Sprintf("transfer.allow_from[%d]", i), "%q is not an address or prefix", a)
		}
	}
	for i, k := range c.Transfer.Keys {
		if !c.hasTSIG(k) {
			p.add(fmt.Sprintf("transfer.keys[%d]", i), "no [[tsig]] key named %q", k)
		}
	}
	for i, s := range c.Notify {
		key := fmt.Sprintf("notify[%d]", i)
		if _, err := netip.ParseAddrPort(s.Address); err != nil {
			p.add(key+".address", "%q is not an address:port", s.Address)
		}
		if s.TSIGKey != "" && !c.hasTSIG(s.TSIGKey) {
			p.add(key+".tsig_key", "no [[tsig]] key named %q", s.TSIGKey)
		}
	}
	return p.err()
}

// parsePrefix accepts "127.0.0.1/32" or a bare address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowFrom returns transfer.allow_from as prefixes (validated).
func (c *Config) AllowFrom() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.Transfer.AllowFrom))
	for _, s := range c.Transfer.AllowFrom {
		p, _ := parsePrefix(s)
		out = append(out, p)
	}
	return out
}

// RRLExempt returns dns.rrl.exempt as prefixes (validated).
func (c *Config) RRLExempt() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.DNS.RRL.Exempt))
	for _, s := range c.DNS.RRL.Exempt {
		p, _ := parsePrefix(s)
		out = append(out, p)
	}
	return out
}

func (c *Config) validatePublishMode() error {
	switch c.Publish.Mode {
	case "serve":
		return nil
	case "rfc2136":
	default:
		return keyErr("publish.mode", "%q must be serve or rfc2136", c.Publish.Mode)
	}
	var p problems
	r := c.Publish.RFC2136
	if _, _, err := net.SplitHostPort(r.Server); err != nil {
		p.add("publish.rfc2136.server", "%q is not host:port", r.Server)
	}
	if err := checkName(r.Zone); err != nil {
		p.add("publish.rfc2136.zone", "%v", err)
	} else if !inZone(c.Zone.SignalName, r.Zone) {
		p.add("publish.rfc2136.zone", "signal name %s is not inside %s", c.Zone.SignalName, r.Zone)
	}
	if r.TSIGKey != "" && !c.hasTSIG(r.TSIGKey) {
		p.add("publish.rfc2136.tsig_key", "no [[tsig]] key named %q", r.TSIGKey)
	}
	if r.Timeout.Duration <= 0 || r.Timeout.Duration > time.Minute {
		p.add("publish.rfc2136.timeout", "%s must be between 0s and 1m", r.Timeout)
	}
	if h := r.Heartbeat.Duration; h < time.Minute || h > signal.SignatureHeartbeat {
		p.add("publish.rfc2136.heartbeat", "%s must be between 1m and %s: agents refuse a signal whose RRSIG inception is older than max_signature_age (default %s), and the primary re-signs only when the heartbeat changes the record",
			r.Heartbeat, signal.SignatureHeartbeat, signal.DefaultMaxSignatureAge)
	}
	return p.err()
}

// TSIGSecrets returns every [[tsig]] key's base64 secret by name, reading
// secret_file entries.
func (c *Config) TSIGSecrets() (map[string]string, error) {
	out := make(map[string]string, len(c.TSIG))
	for i, k := range c.TSIG {
		secret := k.Secret
		if k.SecretFile != "" {
			data, err := os.ReadFile(c.statePath(k.SecretFile))
			if err != nil {
				return nil, &Error{Key: fmt.Sprintf("tsig[%d].secret_file", i), Reason: err.Error()}
			}
			secret = strings.TrimSpace(string(data))
			if err := checkSecret(secret); err != nil {
				return nil, &Error{Key: fmt.Sprintf("tsig[%d].secret_file", i), Reason: fmt.Sprintf("%s: %v", c.statePath(k.SecretFile), err)}
			}
		}
		out[k.Name] = strings.TrimSpace(secret)
	}
	return out, nil
}
