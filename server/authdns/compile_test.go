package authdns

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestCompileRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Zone)
		want   string // in the error
	}{
		{"empty origin", func(z *Zone) { z.Origin = "" }, "Origin: empty"},
		{"relative origin", func(z *Zone) { z.Origin = "mirrors.example.test" }, "Origin"},
		{"bad origin", func(z *Zone) { z.Origin = "a..b." }, "Origin"},
		{"escaped origin", func(z *Zone) { z.Origin = `mir\046rors.example.test.` }, "Origin"},
		{"non-ASCII origin", func(z *Zone) { z.Origin = "mïrrors.example.test." }, "Origin"},
		{"bad SOA MName", func(z *Zone) { z.SOA.MName = "ns1" }, "SOA.MName"},
		{"bad SOA RName", func(z *Zone) { z.SOA.RName = "" }, "SOA.RName"},
		{"no NS", func(z *Zone) { z.NS = nil }, "NS: at least one"},
		{"duplicate NS", func(z *Zone) { z.NS = append(z.NS, z.NS[0]) }, "NS[2].Name: ns1.mirrors.example.test. appears twice"},
		{"duplicate NS, other case", func(z *Zone) {
			z.NS = append(z.NS, NameServer{Name: "NS2.example.NET."})
		}, "NS[2].Name"},
		{"in-zone NS without glue", func(z *Zone) { z.NS[0].Addrs = nil }, "NS[0].Name: ns1.mirrors.example.test. is inside the zone and needs glue"},
		{"invalid glue", func(z *Zone) { z.NS[0].Addrs = []netip.Addr{{}} }, "NS[0].Name: invalid glue"},
		{"signal outside the zone", func(z *Zone) { z.SignalName = "current.example.org." }, "SignalName: current.example.org. is not inside"},
		{"signal name too long for _trees", func(z *Zone) {
			z.SignalName = strings.Repeat("abcdefghi.", 23) + testOrigin
		}, "SignalName"},
		{"bad layout", func(z *Zone) { z.Record.Layout = signal.Layout{"Content"} }, "Record"},
		{"stamps do not match layout", func(z *Zone) { z.Record.Stamps = z.Record.Stamps[:2] }, "Record: 2 stamps for 3 trees"},
		{"stamp out of range", func(z *Zone) { z.Record.Stamps[0] = 12 }, "Record: tree content"},
		{"NS answer too large", func(z *Zone) { *z = manyNSZone(1); z.NS = manyNSZone(3000).NS }, "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			z := testZone()
			c.mutate(&z)
			_, err := Compile(z)
			if err == nil {
				t.Fatal("Compile accepted the zone")
			}
			if !errors.Is(err, ErrZone) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrZone mentioning %q", err, c.want)
			}
		})
	}
}

func TestCompileDefaultsAndNormalizes(t *testing.T) {
	z := testZone()
	z.TTL, z.SignalTTL = 0, 0
	z.Origin = "Mirrors.Example.TEST."
	z.SignalName = "CURRENT.mirrors.example.test."
	z.NS[1].Addrs = []netip.Addr{netip.MustParseAddr("192.0.2.99")} // outside the zone: not served
	z.NS[0].Addrs = []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.1")}
	s := mustCompile(t, z)
	if s.Origin() != testOrigin || s.Serial() != 2024010101 {
		t.Errorf("Origin %q Serial %d", s.Origin(), s.Serial())
	}
	cases := []answerCase{
		{"signal TTL defaults to 300", s, pack(t, newQuery(testSignal, dns.TypeTXT)),
			false, want{aa: true, an: 1, question: true, answer: []string{rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)}}},
		{"zone TTL defaults to 3600, mapped glue is A", s, pack(t, newQuery(testOrigin, dns.TypeNS)),
			false, want{aa: true, an: 2, ar: 1, question: true,
				answer:     []string{rr(t, testOrigin+" 3600 IN NS "+testNS1), rr(t, testOrigin+" 3600 IN NS "+testNS2)},
				additional: []string{rr(t, testNS1+" 3600 IN A 192.0.2.1")}}},
		{"out-of-zone NS addresses are not served", s, pack(t, newQuery(testNS2, dns.TypeA)),
			false, want{rcode: dns.RcodeRefused, question: true}},
	}
	runAnswerCases(t, cases)
}

// TestCompileSignalAtApex allows the signal at the apex itself.
func TestCompileSignalAtApex(t *testing.T) {
	z := testZone()
	z.SignalName = testOrigin
	s := mustCompile(t, z)
	runAnswerCases(t, []answerCase{
		{"TXT at apex", s, pack(t, newQuery(testOrigin, dns.TypeTXT)),
			false, want{aa: true, an: 1, question: true, answer: []string{rr(t, testOrigin+` 300 IN TXT "`+testRecord+`"`)}}},
		{"ANY at apex prefers the TXT", s, pack(t, newQuery(testOrigin, dns.TypeANY)),
			false, want{aa: true, an: 1, question: true, answer: []string{rr(t, testOrigin+` 300 IN TXT "`+testRecord+`"`)}}},
	})
}

// TestRespondAllocs guards the hot path: answering from a snapshot into a
// reused buffer allocates nothing, with and without DO, signed or not.
func TestRespondAllocs(t *testing.T) {
	s := mustCompile(t, testZone())
	z, _ := signedTestZone(t)
	signed := mustCompile(t, z)
	for _, c := range []struct {
		name string
		snap *Snapshot
		q    []byte
	}{
		{"TXT with EDNS", s, pack(t, newQuery("CURRENT.mirrors.example.test.", dns.TypeTXT, withDO()))},
		{"NXDOMAIN", s, pack(t, newQuery("nope.mirrors.example.test.", dns.TypeA))},
		{"REFUSED", s, pack(t, newQuery("example.org.", dns.TypeA))},
		{"FORMERR", s, raw(1, 0, [4]uint16{})},
		{"signed TXT", signed, pack(t, newQuery(testSignal, dns.TypeTXT))},
		{"signed TXT with DO", signed, pack(t, newQuery("CURRENT.mirrors.example.test.", dns.TypeTXT, withDO()))},
		{"signed NS with DO", signed, pack(t, newQuery(testOrigin, dns.TypeNS, withDO()))},
		{"signed NODATA with DO", signed, pack(t, newQuery(testSignal, dns.TypeAAAA, withDO()))},
		{"signed NXDOMAIN with DO", signed, pack(t, newQuery("x.y.Nope.mirrors.example.test.", dns.TypeA, withDO()))},
	} {
		t.Run(c.name, func(t *testing.T) {
			buf := make([]byte, 0, maxMessageSize)
			if n := testing.AllocsPerRun(100, func() { c.snap.respond(buf[:0], c.q, DefaultMaxUDPSize, false) }); n != 0 {
				t.Fatalf("%v allocations per query, want 0", n)
			}
		})
	}
}

func BenchmarkRespond(b *testing.B) {
	s := mustCompile(b, testZone())
	z, _ := signedTestZone(b)
	signed := mustCompile(b, z)
	for _, c := range []struct {
		name string
		snap *Snapshot
		q    []byte
	}{
		{"TXT", s, pack(b, newQuery(testSignal, dns.TypeTXT))},
		{"TXT_DO", s, pack(b, newQuery(testSignal, dns.TypeTXT, withDO()))},
		{"NXDOMAIN", s, pack(b, newQuery("nope.mirrors.example.test.", dns.TypeTXT))},
		{"signed_TXT_DO", signed, pack(b, newQuery(testSignal, dns.TypeTXT, withDO()))},
		{"signed_NXDOMAIN_DO", signed, pack(b, newQuery("nope.mirrors.example.test.", dns.TypeTXT, withDO()))},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, maxMessageSize)
			b.ReportAllocs()
			for b.Loop() {
				c.snap.respond(buf[:0], c.q, DefaultMaxUDPSize, false)
			}
		})
	}
}
