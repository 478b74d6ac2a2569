package agenttest

import (
	"crypto"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Signing says how the DNS server signs TXT answers (when the query has DO).
type Signing struct {
	Enabled    bool
	Inception  time.Time // zero: an hour ago
	Expiration time.Time // zero: in a week
	Corrupt    bool      // signature over other data: a bad signature
}

// Query is one question the server received.
type Query struct {
	Name string
	Type uint16
	Net  string // udp or tcp
}

// DNSServer is an authoritative server for one zone on 127.0.0.1, UDP and
// TCP on the same port. It signs with one ECDSA P-256 key (flags 257).
type DNSServer struct {
	Addr   string
	Origin string

	mu          sync.Mutex
	txt         map[string][]string // owner → the strings of its single TXT RR
	signing     Signing
	truncateUDP bool
	ad          bool
	queries     []Query

	key  *dns.DNSKEY
	priv crypto.Signer
	udp  *dns.Server
	tcp  *dns.Server
}

// StartDNS starts a server for origin and stops it at cleanup.
func StartDNS(t testing.TB, origin string) *DNSServer {
	t.Helper()
	s := &DNSServer{Origin: dns.Fqdn(strings.ToLower(origin)), txt: map[string][]string{}}
	s.key, s.priv = newKey(t, s.Origin)
	pc, l := listenPair(t)
	s.Addr = pc.LocalAddr().String()
	s.udp = &dns.Server{PacketConn: pc, Handler: s}
	s.tcp = &dns.Server{Listener: l, Handler: s}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
	}
	t.Cleanup(func() {
		_ = s.udp.Shutdown()
		_ = s.tcp.Shutdown()
	})
	return s
}

func newKey(t testing.TB, origin string) (*dns.DNSKEY, crypto.Signer) {
	t.Helper()
	k := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags:     257,
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	priv, err := k.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	return k, priv.(crypto.Signer)
}

// listenPair binds UDP and TCP on one free loopback port.
func listenPair(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no free UDP+TCP port pair")
	return nil, nil
}

// SetTXT sets the TXT RR at name to hold strs (one character-string each).
func (s *DNSServer) SetTXT(name string, strs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txt[dns.Fqdn(strings.ToLower(name))] = strs
}

// SetSigning changes how TXT answers are signed.
func (s *DNSServer) SetSigning(g Signing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signing = g
}

// TruncateUDP makes every UDP answer an empty one with TC set.
func (s *DNSServer) TruncateUDP(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncateUDP = on
}

// SetAD makes answers carry the AD bit, as a validating resolver would.
func (s *DNSServer) SetAD(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ad = on
}

// DS returns the zone's DS record (SHA-256), in zone-file syntax.
func (s *DNSServer) DS() string { return s.key.ToDS(dns.SHA256).String() }

// DNSKEY returns the zone's DNSKEY record in zone-file syntax.
func (s *DNSServer) DNSKEY() string { return s.key.String() }

// Queries returns the questions received so far.
func (s *DNSServer) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// ResetQueries forgets the questions received so far.
func (s *DNSServer) ResetQueries() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = nil
}
