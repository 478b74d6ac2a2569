package nscheck

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// Protocol durations and limits; zero Config fields take them.
const (
	// DefaultInterval is the pause between checks of all servers.
	DefaultInterval = 60 * time.Second
	// DefaultGrace is how long a server may serve an older serial than
	// signald before it is flagged: NOTIFY, transfer and reload take
	// seconds; a secondary that missed the NOTIFY waits for its SOA
	// refresh.
	DefaultGrace = 5 * time.Minute
	// DefaultTimeout bounds one try of one query.
	DefaultTimeout = 2 * time.Second
	// DefaultAttempts is how often a query is tried before the server
	// counts as unreachable: one lost UDP packet must not flag it.
	DefaultAttempts = 2
	// DefaultParallel bounds the servers asked at once.
	DefaultParallel = 8
)

// Config says whom to ask about what, and how often.
type Config struct {
	Zone       string   // the zone's origin, fully qualified
	SignalName string   // the signal TXT's owner, fully qualified
	Servers    []Server // the NS set's addresses and the secondaries

	Interval time.Duration
	Grace    time.Duration
	Timeout  time.Duration
	Attempts int
	Parallel int
}

func (c Config) withDefaults() Config {
	c.Zone, c.SignalName = dns.CanonicalName(c.Zone), dns.CanonicalName(c.SignalName)
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.Parallel <= 0 {
		c.Parallel = DefaultParallel
	}
	return c
}

// Validate reports a Config that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct{ field, name string }{{"Zone", c.Zone}, {"SignalName", c.SignalName}} {
		if _, ok := dns.IsDomainName(f.name); !ok || !dns.IsFqdn(f.name) {
			errs = append(errs, fmt.Errorf("%s: %q is not a fully qualified name", f.field, f.name))
		}
	}
	if !dns.IsSubDomain(c.Zone, c.SignalName) {
		errs = append(errs, fmt.Errorf("SignalName: %q is not in zone %q", c.SignalName, c.Zone))
	}
	seen := map[string]bool{}
	for i, s := range c.Servers {
		if _, _, err := net.SplitHostPort(s.Addr); err != nil {
			errs = append(errs, fmt.Errorf("Servers[%d].Addr: %w", i, err))
		}
		if seen[s.Addr] {
			errs = append(errs, fmt.Errorf("Servers[%d].Addr: %s is listed twice", i, s.Addr))
		}
		seen[s.Addr] = true
	}
	return errors.Join(errs...)
}

// NS is one name server of the zone with its addresses, as configured.
type NS struct {
	Name      string
	Addresses []string // IP addresses (port 53) or host:port
}

// ServersOf lists the servers to ask: every address of every NS, then
// every secondary (host:port, named by its address) not listed already.
func ServersOf(ns []NS, secondaries []string) []Server {
	var out []Server
	seen := map[string]bool{}
	add := func(name, addr string) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "53")
		}
		if !seen[addr] {
			seen[addr] = true
			out = append(out, Server{Name: name, Addr: addr})
		}
	}
	for _, n := range ns {
		for _, a := range n.Addresses {
			add(n.Name, a)
		}
	}
	for _, a := range secondaries {
		add(a, a)
	}
	return out
}
