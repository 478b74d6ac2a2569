package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Validate checks every value; the first problem is returned as an *Error
// naming its key.
func (c *Config) Validate() error {
	checks := []func() error{
		c.validateZone, c.validateTrees, c.validateDNS, c.validateHTTP, c.validateMisc,
		c.validateTSIG, c.validateTransfer, c.validatePublishMode,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func keyErr(key, format string, args ...any) error {
	return &Error{Key: key, Reason: fmt.Sprintf(format, args...)}
}

func (c *Config) validateZone() error {
	z := c.Zone
	if err := checkName(z.Origin); err != nil {
		return keyErr("zone.origin", "%v", err)
	}
	if err := checkName(z.SignalName); err != nil {
		return keyErr("zone.signal_name", "%v", err)
	}
	if !inZone(z.SignalName, z.Origin) || z.SignalName == z.Origin {
		return keyErr("zone.signal_name", "%q is not below zone.origin %q", z.SignalName, z.Origin)
	}
	if len(z.NS) == 0 {
		return keyErr("zone.ns", "at least one name server is required")
	}
	for i, ns := range z.NS {
		key := fmt.Sprintf("zone.ns[%d]", i)
		if err := checkName(ns.Name); err != nil {
			return keyErr(key+".name", "%v", err)
		}
		if inZone(ns.Name, z.Origin) && len(ns.Addresses) == 0 {
			return keyErr(key+".addresses", "%s is inside the zone and needs glue addresses", ns.Name)
		}
		for _, a := range ns.Addresses {
			if _, err := netip.ParseAddr(a); err != nil {
				return keyErr(key+".addresses", "%q is not an IP address", a)
			}
		}
	}
	if err := checkName(z.SOA.MName); err != nil {
		return keyErr("zone.soa.mname", "%v", err)
	}
	if err := checkName(z.SOA.RName); err != nil {
		return keyErr("zone.soa.rname", "%v", err)
	}
	return c.validateTTLs()
}

func (c *Config) validateTTLs() error {
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
			return keyErr(t.key, "%s must be whole seconds between %s and %s", t.v, t.min, t.max)
		}
	}
	return nil
}

func (c *Config) validateTrees() error {
	if len(c.Trees) == 0 {
		return keyErr("trees", "at least one [[trees]] entry is required")
	}
	if _, err := signal.ParseLayout(c.Layout().String()); err != nil {
		return keyErr("trees", "%v", err)
	}
	if n := len(c.Zone.SignalName); n+len(c.Trees)*11 > 255 {
		return keyErr("trees", "too many trees for one TXT string")
	}
	return nil
}

func (c *Config) validateDNS() error {
	if !c.DNS.Enabled {
		return nil
	}
	if _, err := netip.ParseAddrPort(c.DNS.Listen); err != nil {
		return keyErr("dns.listen", "%q is not an address:port", c.DNS.Listen)
	}
	if c.DNS.MaxUDPSize < 512 || c.DNS.MaxUDPSize > 4096 {
		return keyErr("dns.max_udp_size", "%d must be between 512 and 4096", c.DNS.MaxUDPSize)
	}
	if c.DNS.TCPIdleTimeout.Duration < 100*time.Millisecond || c.DNS.TCPIdleTimeout.Duration > 10*time.Minute {
		return keyErr("dns.tcp_idle_timeout", "%s must be between 100ms and 10m", c.DNS.TCPIdleTimeout)
	}
	if c.DNS.MaxTCPConnections < 1 || c.DNS.MaxTCPConnections > 1_000_000 {
		return keyErr("dns.max_tcp_connections", "%d must be between 1 and 1000000", c.DNS.MaxTCPConnections)
	}
	return c.validateRRL()
}

// validateRRL checks [dns.rrl], also when it is disabled, so that turning
// it on cannot reveal a typo.
func (c *Config) validateRRL() error {
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
			return keyErr(f.key, "%d must be between %d and %d", f.v, f.min, f.max)
		}
	}
	for i, p := range r.Exempt {
		if _, err := parsePrefix(p); err != nil {
			return keyErr(fmt.Sprintf("dns.rrl.exempt[%d]", i), "%q is not an address or prefix", p)
		}
	}
	return nil
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
	if strings.TrimSpace(c.StateDir) == "" {
		return keyErr("state_dir", "must not be empty")
	}
	if c.Publish.TokenFile == "" {
		return keyErr("publish.token_file", "must not be empty")
	}
	if c.Publish.MaxFuture.Duration < 0 || c.Publish.MaxFuture.Duration > 24*time.Hour {
		return keyErr("publish.max_future", "%s must be between 0s and 24h", c.Publish.MaxFuture)
	}
	switch c.DNSSEC.Algorithm {
	case "ecdsap256", "ed25519":
	default:
		return keyErr("dnssec.algorithm", "%q must be ecdsap256 or ed25519", c.DNSSEC.Algorithm)
	}
	if c.DNSSEC.KeyDir == "" {
		return keyErr("dnssec.key_dir", "must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return keyErr("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return keyErr("log.format", "%q must be text or json", c.Log.Format)
	}
	return nil
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
	seen := map[string]bool{}
	for i, k := range c.TSIG {
		key := fmt.Sprintf("tsig[%d]", i)
		if err := checkName(k.Name); err != nil {
			return keyErr(key+".name", "%v", err)
		}
		if seen[k.Name] {
			return keyErr(key+".name", "key %s is defined twice", k.Name)
		}
		seen[k.Name] = true
		if (k.Secret == "") == (k.SecretFile == "") {
			return keyErr(key+".secret", "give exactly one of secret and secret_file")
		}
		if k.Secret != "" {
			if err := checkSecret(k.Secret); err != nil {
				return keyErr(key+".secret", "%v", err)
			}
		}
	}
	return nil
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
	for i, p := range c.Transfer.AllowFrom {
		if _, err := parsePrefix(p); err != nil {
			return keyErr(fmt.Sprintf("transfer.allow_from[%d]", i), "%q is not an address or prefix", p)
		}
	}
	for i, k := range c.Transfer.Keys {
		if !c.hasTSIG(k) {
			return keyErr(fmt.Sprintf("transfer.keys[%d]", i), "no [[tsig]] key named %q", k)
		}
	}
	for i, s := range c.Notify {
		key := fmt.Sprintf("notify[%d]", i)
		if _, err := netip.ParseAddrPort(s.Address); err != nil {
			return keyErr(key+".address", "%q is not an address:port", s.Address)
		}
		if s.TSIGKey != "" && !c.hasTSIG(s.TSIGKey) {
			return keyErr(key+".tsig_key", "no [[tsig]] key named %q", s.TSIGKey)
		}
	}
	return nil
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
	r := c.Publish.RFC2136
	if _, _, err := net.SplitHostPort(r.Server); err != nil {
		return keyErr("publish.rfc2136.server", "%q is not host:port", r.Server)
	}
	if err := checkName(r.Zone); err != nil {
		return keyErr("publish.rfc2136.zone", "%v", err)
	}
	if !inZone(c.Zone.SignalName, r.Zone) {
		return keyErr("publish.rfc2136.zone", "signal name %s is not inside %s", c.Zone.SignalName, r.Zone)
	}
	if r.TSIGKey != "" && !c.hasTSIG(r.TSIGKey) {
		return keyErr("publish.rfc2136.tsig_key", "no [[tsig]] key named %q", r.TSIGKey)
	}
	if r.Timeout.Duration <= 0 || r.Timeout.Duration > time.Minute {
		return keyErr("publish.rfc2136.timeout", "%s must be between 0s and 1m", r.Timeout)
	}
	return nil
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
