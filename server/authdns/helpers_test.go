package authdns

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

const (
	testOrigin = "mirrors.example.test."
	testSignal = "current.mirrors.example.test."
	testTrees  = "_trees.current.mirrors.example.test."
	testNS1    = "ns1.mirrors.example.test."
	testNS2    = "ns2.example.net."
	testRecord = "1488372781:1487767981:1488113581"
	testLayout = "content:altarch:vault"
)

// testZone is the zone most tests serve: one in-zone name server with
// glue, one outside, and the signal directly below the apex.
func testZone() Zone {
	return Zone{
		Origin: testOrigin,
		TTL:    3600,
		SOA: SOA{
			MName: testNS1, RName: "hostmaster.mirrors.example.test.",
			Serial: 2024010101, Refresh: 7200, Retry: 3600, Expire: 1209600, Minimum: 300,
		},
		NS: []NameServer{
			{Name: testNS1, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
			{Name: testNS2},
		},
		SignalName: testSignal,
		SignalTTL:  300,
		Record: signal.Record{
			Layout: signal.Layout{"content", "altarch", "vault"},
			Stamps: []int64{1488372781, 1487767981, 1488113581},
		},
	}
}

// deepZone has empty non-terminals: sig. (above the signal) and ns.
// (above the name server).
func deepZone() Zone {
	z := testZone()
	z.SignalName = "current.sig.mirrors.example.test."
	z.NS = []NameServer{{Name: "a.ns.mirrors.example.test.", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}}}
	return z
}

// manyNSZone has n in-zone name servers, each with an IPv4 glue record.
func manyNSZone(n int) Zone {
	z := testZone()
	z.NS = nil
	for i := range n {
		z.NS = append(z.NS, NameServer{
			Name:  fmt.Sprintf("ns%02d.mirrors.example.test.", i),
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})},
		})
	}
	return z
}

func mustCompile(t testing.TB, z Zone) *Snapshot {
	t.Helper()
	s, err := Compile(z)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

// qopt modifies a query before it is packed.
type qopt func(*dns.Msg)

func withEDNS(size uint16) qopt {
	return func(m *dns.Msg) { m.SetEdns0(size, false) }
}

func withDO() qopt {
	return func(m *dns.Msg) { m.SetEdns0(1232, true) }
}

func withOpcode(op int) qopt { return func(m *dns.Msg) { m.Opcode = op } }

func withClass(c uint16) qopt { return func(m *dns.Msg) { m.Question[0].Qclass = c } }

func withoutRD() qopt { return func(m *dns.Msg) { m.RecursionDesired = false } }

func withCD() qopt { return func(m *dns.Msg) { m.CheckingDisabled = true } }

// newQuery returns a query for name and qtype, RD set as dig does.
func newQuery(name string, qtype uint16, opts ...qopt) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 0xbeef
	for _, o := range opts {
		o(m)
	}
	return m
}

func pack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("pack query: %v", err)
	}
	return b
}

// rr parses a zone-file line and returns its canonical string form.
func rr(t testing.TB, s string) string {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return r.String()
}

func rrStrings(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, r := range rrs {
		if r.Header().Rrtype == dns.TypeOPT {
			continue
		}
		out = append(out, r.String())
	}
	return out
}
