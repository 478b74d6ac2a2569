package query

import (
	"context"
	"crypto"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
)

// rewriter lets a test change an answer of an agenttest.DNSServer on its
// way out, as an on-path attacker or a misconfigured server would.
type rewriter struct {
	dns.ResponseWriter
	fn func(*dns.Msg)
}

func (w rewriter) WriteMsg(m *dns.Msg) error {
	w.fn(m)
	return w.ResponseWriter.WriteMsg(m)
}

// serveRewritten serves s's zone on a new UDP port, passing every answer
// through fn, and returns the address.
func serveRewritten(t *testing.T, s *agenttest.DNSServer, fn func(*dns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) { s.ServeDNS(rewriter{w, fn}, r) })}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func pinsOf(t *testing.T, s *agenttest.DNSServer) *Pins {
	t.Helper()
	pins, _, err := ParsePins([]string{s.DS()}, name)
	if err != nil {
		t.Fatal(err)
	}
	return pins
}

// TestLayoutHasNoAgeBound: signald re-signs only the signal on its
// heartbeat, so a `_trees` RRSIG days old but inside its validity period is
// accepted, in both DNSSEC modes, while the signal with such an inception is
// still refused as frozen or replayed.
func TestLayoutHasNoAgeBound(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.SetTXT(LayoutName(name), "content:altarch:vault")
	s.SetAD(true)
	now := time.Now()
	for _, o := range []Options{
		{Mode: ModePinned, Pins: pinsOf(t, s)},
		{Mode: ModeResolverAD, Trusted: []string{s.Addr}},
	} {
		t.Run(o.Mode, func(t *testing.T) {
			o.RequireDNSSEC, o.MaxSignatureAge = true, 3*time.Hour
			r := reader([]string{s.Addr}, o)
			s.SetSigning(agenttest.Signing{Enabled: true, Inception: now.Add(-6 * 24 * time.Hour), Expiration: now.Add(8 * 24 * time.Hour)})
			if err := r.CheckLayout(context.Background()); err != nil {
				t.Fatalf("_trees signed 6 days ago refused: %v", err)
			}
			if _, err := r.Read(context.Background()); !errors.Is(err, ErrBogus) {
				t.Fatalf("signal signed 6 days ago: err %v, want ErrBogus", err)
			}
		})
	}
}

// TestLayoutStillValidated: without the age bound, `_trees` still needs a
// good signature inside its validity period.
func TestLayoutStillValidated(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(LayoutName(name), "content:altarch:vault")
	now := time.Now()
	r := reader([]string{s.Addr}, Options{Mode: ModePinned, Pins: pinsOf(t, s), RequireDNSSEC: true, MaxSignatureAge: 3 * time.Hour})
	for label, g := range map[string]agenttest.Signing{
		"expired":       {Enabled: true, Inception: now.Add(-15 * 24 * time.Hour), Expiration: now.Add(-time.Hour)},
		"bad signature": {Enabled: true, Corrupt: true},
		"not yet valid": {Enabled: true, Inception: now.Add(time.Hour), Expiration: now.Add(48 * time.Hour)},
	} {
		s.SetSigning(g)
		if err := r.CheckLayout(context.Background()); !errors.Is(err, ErrBogus) {
			t.Errorf("%s: err %v, want ErrBogus", label, err)
		}
	}
}

func rrsigAt(inc time.Time) *dns.RRSIG {
	return &dns.RRSIG{TypeCovered: dns.TypeTXT, Inception: uint32(inc.Unix()), Expiration: uint32(inc.Add(14 * 24 * time.Hour).Unix())}
}

// TestResolverADAgesByOldestRRSIG: a fresh-looking RRSIG added beside the
// valid old one does not make a replayed answer fresh, in either order.
func TestResolverADAgesByOldestRRSIG(t *testing.T) {
	now := time.Now()
	old, fresh := rrsigAt(now.Add(-10*time.Hour)), rrsigAt(now.Add(-time.Minute))
	r := reader(nil, Options{Mode: ModeResolverAD, Trusted: []string{"192.0.2.53:53"}, MaxSignatureAge: 3 * time.Hour})
	resp := &Response{Msg: &dns.Msg{MsgHdr: dns.MsgHdr{AuthenticatedData: true}}, Server: "192.0.2.53:53"}
	tests := []struct {
		name string
		sigs []*dns.RRSIG
		want error
	}{
		{"fresh", []*dns.RRSIG{fresh}, nil},
		{"old", []*dns.RRSIG{old}, ErrBogus},
		{"old then fresh", []*dns.RRSIG{old, fresh}, ErrBogus},
		{"fresh then old", []*dns.RRSIG{fresh, old}, ErrBogus},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sec, err := r.resolverAD(resp, TXTAnswer{Sigs: tc.sigs}, now, r.o.MaxSignatureAge)
			if !errors.Is(err, tc.want) || (tc.want == nil && (err != nil || !sec.Secure)) {
				t.Fatalf("%+v, %v; want %v", sec, err, tc.want)
			}
		})
	}
}

// TestAuthoritativeRefusesNonAA: an authoritative server's answer without
// AA is not the zone's answer.
func TestAuthoritativeRefusesNonAA(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "0:0:0")
	addr := serveRewritten(t, s, func(m *dns.Msg) { m.Authoritative = false })
	r := reader([]string{addr}, Options{})
	r.o.Client.Recursive = false
	if sig, err := r.Read(context.Background()); !errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrAnswer) {
		t.Fatalf("non-AA answer: %+v, %v; want ErrUnreachable wrapping ErrAnswer", sig, err)
	}
	r.o.Client.Recursive = true // a resolver's answer needs no AA
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatalf("from a resolver: %v", err)
	}
}

// rogue is an attacker's key for the zone: not pinned, not signed by a
// pinned key.
type rogue struct {
	key  *dns.DNSKEY
	priv crypto.Signer
}

func newRogue(t *testing.T) rogue {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "mirrors.example.test.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := k.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	return rogue{key: k, priv: priv.(crypto.Signer)}
}

func (r rogue) sign(rrset []dns.RR) *dns.RRSIG {
	h := rrset[0].Header()
	now := time.Now()
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		TypeCovered: h.Rrtype, Algorithm: r.key.Algorithm, Labels: uint8(dns.CountLabel(h.Name)), OrigTtl: h.Ttl,
		Inception: uint32(now.Add(-time.Minute).Unix()), Expiration: uint32(now.Add(time.Hour).Unix()),
		KeyTag: r.key.KeyTag(), SignerName: r.key.Hdr.Name}
	if err := sig.Sign(r.priv, rrset); err != nil {
		panic(err)
	}
	return sig
}

// splitAnswer returns the answer's records other than RRSIGs.
func splitAnswer(m *dns.Msg) []dns.RR {
	var out []dns.RR
	for _, rr := range m.Answer {
		if rr.Header().Rrtype != dns.TypeRRSIG {
			out = append(out, rr)
		}
	}
	return out
}

// TestPinnedRefusesUnsignedKeyInDNSKEYSet: an attacker adds their key to
// the DNSKEY set and signs the TXT with it. Unless a pinned key signs the
// whole set, the attacker's key is not used.
func TestPinnedRefusesUnsignedKeyInDNSKEYSet(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.SetSigning(agenttest.Signing{Enabled: true})
	evil := newRogue(t)
	dnskeySigs := map[string]func(zoneSigs []dns.RR, set []dns.RR) []dns.RR{
		"zone RRSIG over the set without the added key": func(z, _ []dns.RR) []dns.RR { return z },
		"no DNSKEY RRSIG":        func(_, _ []dns.RR) []dns.RR { return nil },
		"RRSIG by the added key": func(_, set []dns.RR) []dns.RR { return []dns.RR{evil.sign(set)} },
	}
	for label, sigs := range dnskeySigs {
		t.Run(label, func(t *testing.T) {
			addr := serveRewritten(t, s, func(m *dns.Msg) {
				rrs := splitAnswer(m)
				if len(rrs) == 0 {
					return
				}
				switch m.Question[0].Qtype {
				case dns.TypeDNSKEY:
					set := append(rrs, evil.key)
					m.Answer = append(set, sigs(m.Answer[len(rrs):], set)...)
				case dns.TypeTXT:
					m.Answer = append(rrs, evil.sign(rrs))
				}
			})
			r := reader([]string{addr}, Options{Mode: ModePinned, Pins: pinsOf(t, s), MaxSignatureAge: 3 * time.Hour})
			if sig, err := r.Read(context.Background()); !errors.Is(err, ErrBogus) {
				t.Fatalf("TXT signed by an unpinned key: %+v, %v; want ErrBogus", sig.Security, err)
			}
		})
	}
}

// TestResolverADOnlyFromTrustedResolvers: AD from a server not in
// trusted_resolvers is not believed.
func TestResolverADOnlyFromTrustedResolvers(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.SetSigning(agenttest.Signing{Enabled: true})
	s.SetAD(true)
	o := Options{Mode: ModeResolverAD, Trusted: []string{"127.0.0.1:9"}, MaxSignatureAge: 3 * time.Hour}
	sig, err := reader([]string{s.Addr}, o).Read(context.Background())
	if err != nil || sig.Security.Secure {
		t.Fatalf("untrusted AD: secure=%v, %v; want an insecure answer", sig.Security.Secure, err)
	}
	o.RequireDNSSEC = true
	if _, err := reader([]string{s.Addr}, o).Read(context.Background()); !errors.Is(err, ErrInsecure) {
		t.Fatalf("untrusted AD with require_dnssec: %v, want ErrInsecure", err)
	}
	o.Trusted = []string{s.Addr}
	if sig, err := reader([]string{s.Addr}, o).Read(context.Background()); err != nil || !sig.Security.Secure {
		t.Fatalf("trusted AD: secure=%v, %v", sig.Security.Secure, err)
	}
}

// TestResolverADRefusesOldInception: a trusted resolver's AD does not make
// a replayed answer with an old RRSIG fresh.
func TestResolverADRefusesOldInception(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.SetAD(true)
	now := time.Now()
	r := reader([]string{s.Addr}, Options{Mode: ModeResolverAD, Trusted: []string{s.Addr}, MaxSignatureAge: 3 * time.Hour})
	s.SetSigning(agenttest.Signing{Enabled: true, Inception: now.Add(-10 * time.Hour), Expiration: now.Add(24 * time.Hour)})
	if _, err := r.Read(context.Background()); !errors.Is(err, ErrBogus) {
		t.Fatalf("inception 10h old: %v, want ErrBogus", err)
	}
	s.SetSigning(agenttest.Signing{Enabled: true, Inception: now.Add(-time.Hour)})
	if sig, err := r.Read(context.Background()); err != nil || !sig.Security.Secure {
		t.Fatalf("inception 1h old: secure=%v, %v", sig.Security.Secure, err)
	}
}

// TestCheckAgeLimit: an inception exactly max_signature_age old is still
// accepted, a second older is not, and 0 means no bound.
func TestCheckAgeLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	maxAge := 3 * time.Hour
	if err := checkAge(now.Add(-maxAge), now, maxAge); err != nil {
		t.Fatalf("exactly max age: %v", err)
	}
	if err := checkAge(now.Add(-maxAge-time.Second), now, maxAge); err == nil {
		t.Fatal("a second past max age accepted")
	}
	if err := checkAge(now.Add(-1000*time.Hour), now, noAgeBound); err != nil {
		t.Fatalf("no bound: %v", err)
	}
}

// TestResolverADWithoutRRSIGs: a trusted resolver that sets AD but passes
// no RRSIG along gives a secure answer with nothing to age.
func TestResolverADWithoutRRSIGs(t *testing.T) {
	now := time.Now()
	r := reader(nil, Options{Mode: ModeResolverAD, Trusted: []string{"192.0.2.53:53"}, MaxSignatureAge: 3 * time.Hour})
	resp := &Response{Msg: &dns.Msg{MsgHdr: dns.MsgHdr{AuthenticatedData: true}}, Server: "192.0.2.53:53"}
	sec, err := r.resolverAD(resp, TXTAnswer{}, now, r.o.MaxSignatureAge)
	if err != nil || !sec.Secure || !sec.Inception.IsZero() {
		t.Fatalf("%+v, %v; want secure with no inception", sec, err)
	}
	if _, ok := oldestInception(nil, now); ok {
		t.Fatal("oldestInception of no RRSIG reported one")
	}
}

// TestDNSKEYPin: a DNSKEY pin anchors exactly that key: same flags,
// protocol, algorithm and public key.
func TestDNSKEYPin(t *testing.T) {
	const key = "mirrors.example.test. 3600 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="
	pins, _, err := ParsePins([]string{key}, name)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*dns.DNSKEY)
		want bool
	}{
		{"same key", func(*dns.DNSKEY) {}, true},
		{"other flags", func(k *dns.DNSKEY) { k.Flags = 256 }, false},
		{"other protocol", func(k *dns.DNSKEY) { k.Protocol = 2 }, false},
		{"other algorithm", func(k *dns.DNSKEY) { k.Algorithm = dns.ED25519 }, false},
		{"other public key", func(k *dns.DNSKEY) { k.PublicKey = "AAAA" + k.PublicKey[4:] }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rr, _ := dns.NewRR(key)
			k := rr.(*dns.DNSKEY)
			tc.edit(k)
			if got := len(pins.anchors([]*dns.DNSKEY{k})) == 1; got != tc.want {
				t.Fatalf("anchored = %v, want %v", got, tc.want)
			}
		})
	}
}
