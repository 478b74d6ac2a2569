package dnsharness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/server/sigquery"
)

// TSIG is an hmac-sha256 key shared with signald.
type TSIG struct {
	Name   string // FQDN
	Secret string // base64
}

// Zone is what a started server serves: either as primary from ZoneText,
// or as secondary of Primary (host:port), transferring with TSIG when set.
type Zone struct {
	Name     string // FQDN
	ZoneText string // primary: the zone file's content
	Primary  string // secondary: the primary's address
	TSIG     *TSIG
	// AllowUpdate lets the primary accept RFC 2136 updates signed with TSIG.
	AllowUpdate bool
}

// Options tune a start.
type Options struct {
	// NoRRL turns response rate limiting off (NSD has it on by default).
	NoRRL bool
	// NoWaitForZone makes a start return as soon as the server answers at
	// all (any rcode), instead of once it serves z's SOA authoritatively.
	// A secondary that cannot transfer its zone needs it.
	NoWaitForZone bool
	// Port, when not 0, is the port to listen on (from FreePort, reserved
	// earlier), so a test can point signald at a server it starts later.
	Port int
}

// port returns o.Port, or a free port.
func (o Options) port(t testing.TB) int {
	if o.Port != 0 {
		return o.Port
	}
	return FreePort(t)
}

// NSD starts nsd serving z on a free port. As a primary it loads
// z.ZoneText; as a secondary it transfers z from z.Primary (IXFR over TCP,
// which falls back to AXFR; TSIG when z.TSIG is set) and accepts NOTIFY
// from the primary's host with the same key.
//
// It returns once the server answers z's SOA with AA (for a secondary:
// after the first transfer), or with NoWaitForZone once it answers at all;
// it fails the test after startTimeout.
func NSD(t testing.TB, z Zone, o Options) *Process {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	keyName := "NOKEY"
	if z.TSIG != nil {
		keyName = z.TSIG.Name
		fmt.Fprintf(&b, "key:\n  name: %q\n  algorithm: hmac-sha256\n  secret: %q\n", z.TSIG.Name, z.TSIG.Secret)
	}
	fmt.Fprintf(&b, "zone:\n  name: %q\n  zonefile: %q\n", z.Name, "zone.db")
	if z.Primary != "" {
		host, p := splitAddr(z.Primary)
		fmt.Fprintf(&b, "  request-xfr: %s@%s %s\n  allow-notify: %s %s\n", host, p, keyName, host, keyName)
	} else {
		writeFile(t, dir, "zone.db", z.ZoneText)
	}
	return startNSD(t, dir, z.Name, b.String(), o)
}

// NSDWithConfig starts nsd on a free port with conf (key:, pattern: and
// zone: clauses, as an operator would add them) after the harness's own
// server: clause. Relative zone files live in a fresh directory. Readiness
// is as for NSD, for zone.
func NSDWithConfig(t testing.TB, zone, conf string, o Options) *Process {
	t.Helper()
	return startNSD(t, t.TempDir(), zone, conf, o)
}

func startNSD(t testing.TB, dir, zone, conf string, o Options) *Process {
	t.Helper()
	port := o.port(t)
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  ip-address: 127.0.0.1@%d\n  port: %d\n  username: \"\"\n  chroot: \"\"\n  database: \"\"\n", port, port)
	fmt.Fprintf(&b, "  zonesdir: %q\n  pidfile: %q\n  xfrdfile: %q\n  zonelistfile: %q\n  logfile: %q\n  verbosity: 2\n  server-count: 1\n",
		dir, dir+"/nsd.pid", dir+"/xfrd.state", dir+"/zone.list", dir+"/nsd.log")
	// xfrd waits xfrd-reload-timeout (default 1s) between reloads; keep
	// a test's second transfer quick.
	b.WriteString("  xfrd-reload-timeout: 0\n")
	if o.NoRRL {
		b.WriteString("  rrl-ratelimit: 0\n")
	}
	b.WriteString("remote-control:\n  control-enable: no\n")
	b.WriteString(conf)
	path := writeFile(t, dir, "nsd.conf", b.String())
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := Start(t, "nsd", "nsd", []string{"-d", "-c", path}, dir, addr, readyCheck(addr, zone, o))
	p.logFile = dir + "/nsd.log"
	return p
}

// Knot starts knotd serving z on a free port, as NSD does (same
// readiness). As a secondary its remote and its NOTIFY acl use z.TSIG.
func Knot(t testing.TB, z Zone, o Options) *Process {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	keyLine := ""
	if z.TSIG != nil {
		fmt.Fprintf(&b, "key:\n  - id: %s\n    algorithm: hmac-sha256\n    secret: %s\n", z.TSIG.Name, z.TSIG.Secret)
		keyLine = "    key: " + z.TSIG.Name + "\n"
	}
	if !o.NoRRL {
		b.WriteString("mod-rrl:\n  - id: default\n    rate-limit: 200\n    slip: 2\n")
	}
	if z.Primary != "" {
		host, p := splitAddr(z.Primary)
		fmt.Fprintf(&b, "remote:\n  - id: primary\n    address: %s@%s\n%s", host, p, keyLine)
		fmt.Fprintf(&b, "acl:\n  - id: notify\n    address: %s\n%s    action: notify\n", host, keyLine)
	} else {
		if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "zones"), "zone.db", z.ZoneText)
		fmt.Fprintf(&b, "acl:\n  - id: update\n    address: 127.0.0.0/8\n%s    action: update\n", keyLine)
	}
	fmt.Fprintf(&b, "zone:\n  - domain: %s\n", z.Name)
	if z.Primary != "" {
		b.WriteString("    master: primary\n    acl: notify\n")
	} else if z.AllowUpdate {
		b.WriteString("    acl: update\n")
	}
	if !o.NoRRL {
		b.WriteString("    module: mod-rrl/default\n")
	}
	return startKnot(t, dir, z.Name, b.String(), o)
}

// KnotWithConfig starts knotd on a free port with conf (key:, remote:,
// acl: and zone: sections) after the harness's server:, database:, log:
// and template: sections; zone files go to the template's storage.
// Readiness is as for NSD, for zone.
func KnotWithConfig(t testing.TB, zone, conf string, o Options) *Process {
	t.Helper()
	return startKnot(t, t.TempDir(), zone, conf, o)
}

func startKnot(t testing.TB, dir, zone, conf string, o Options) *Process {
	t.Helper()
	port := o.port(t)
	for _, d := range []string{"db", "zones", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1@%d\n  rundir: %q\n  background-workers: 1\n  udp-workers: 1\n  tcp-workers: 1\n", port, dir+"/run")
	fmt.Fprintf(&b, "database:\n  storage: %q\n", dir+"/db")
	b.WriteString("log:\n  - target: stderr\n    any: info\n")
	fmt.Fprintf(&b, "template:\n  - id: default\n    storage: %q\n    file: zone.db\n    zonefile-sync: -1\n    journal-content: all\n", dir+"/zones")
	b.WriteString(conf)
	path := writeFile(t, dir, "knot.conf", b.String())
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return Start(t, "knot", "knotd", []string{"-c", path}, dir, addr, readyCheck(addr, zone, o))
}

// Unbound starts a validating unbound that reaches zone through a stub to
// auth (host:port), with trustAnchor (DS or DNSKEY text) as its only anchor.
func Unbound(t testing.TB, zone, auth, trustAnchor string) *Process {
	t.Helper()
	dir := t.TempDir()
	port := FreePort(t)
	anchor := writeFile(t, dir, "anchor.txt", trustAnchor+"\n")
	host, p := splitAddr(auth)
	tld := dns.SplitDomainName(zone)
	conf := fmt.Sprintf(`server:
  interface: 127.0.0.1@%d
  port: %d
  username: ""
  chroot: ""
  directory: %q
  pidfile: %q
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-not-query-localhost: no
  do-daemonize: no
  module-config: "validator iterator"
  trust-anchor-file: %q
  local-zone: "%s." nodefault
  domain-insecure: ""
  val-log-level: 2
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
  access-control: 127.0.0.0/8 allow
stub-zone:
  name: %q
  stub-addr: %s@%s
`, port, port, dir, dir+"/unbound.pid", anchor, tld[len(tld)-1], zone, host, p)
	path := writeFile(t, dir, "unbound.conf", conf)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return Start(t, "unbound", "unbound", []string{"-d", "-c", path}, dir, addr, func() error {
		_, err := Exchange(addr, ".", dns.TypeNS, false)
		if errors.Is(err, errNoAnswer) {
			return nil // answering at all is ready
		}
		return err
	})
}

var errNoAnswer = errors.New("no answer")

// Exchange asks addr over UDP (TCP on truncation) with RD as given and DO.
func Exchange(addr, name string, qtype uint16, rd bool) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = rd
	q.SetEdns0(1232, true)
	m, err := sigquery.Exchange(context.Background(), addr, q, 2*time.Second)
	if err != nil {
		return nil, err
	}
	if len(m.Answer) == 0 {
		return m, errNoAnswer
	}
	return m, nil
}

// readyCheck is soaReady, or with NoWaitForZone any answer.
func readyCheck(addr, zone string, o Options) func() error {
	if !o.NoWaitForZone {
		return soaReady(addr, zone)
	}
	return func() error {
		_, err := Exchange(addr, zone, dns.TypeSOA, false)
		if errors.Is(err, errNoAnswer) {
			return nil
		}
		return err
	}
}

// settled is how many answers in a row a check must see. While NSD
// reloads after a transfer, the old server process (without the new data)
// and the new one read the same socket for a moment, so a single good
// answer does not mean the next query sees the same data.
const settled = 3

// soaReady is ready once addr has answered zone's SOA with AA settled
// times in a row.
func soaReady(addr, zone string) func() error {
	streak := 0
	return func() error {
		m, err := Exchange(addr, zone, dns.TypeSOA, false)
		if err == nil && (m.Rcode != dns.RcodeSuccess || !m.Authoritative) {
			err = fmt.Errorf("SOA: %s aa=%v", dns.RcodeToString[m.Rcode], m.Authoritative)
		}
		if err != nil {
			streak = 0
			return err
		}
		if streak++; streak < settled {
			return fmt.Errorf("SOA answered %d times in a row, waiting for %d", streak, settled)
		}
		return nil
	}
}

// WaitSerial polls addr until it serves want as zone's SOA serial in
// settled answers in a row, or returns an error naming the last serial
// seen once timeout has passed.
func WaitSerial(addr, zone string, want uint32, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	streak := 0
	for {
		got, err := Serial(addr, zone)
		if err == nil && got == want {
			if streak++; streak >= settled {
				return nil
			}
		} else {
			streak = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serial %d (%v) after %s, want %d", got, err, timeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Serial returns the SOA serial addr serves for zone.
func Serial(addr, zone string) (uint32, error) {
	m, err := Exchange(addr, zone, dns.TypeSOA, false)
	if err != nil {
		return 0, err
	}
	for _, rr := range m.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, nil
		}
	}
	return 0, errNoAnswer
}

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}
