package authdns

import (
	"encoding/binary"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// FuzzAnswer feeds arbitrary bytes to the query path of four zones (one
// with an NS answer that needs truncation, two signed) over UDP and TCP. A
// response must unpack, belong to the query, never offer recursion, and
// fit the UDP size the query allows. Seeds are in testdata/fuzz/FuzzAnswer.
func FuzzAnswer(f *testing.F) {
	k := newKey(f, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	snaps := []*Snapshot{
		mustCompile(f, testZone()), mustCompile(f, manyNSZone(20)),
		mustCompile(f, signZone(f, deepZone(), testSignTime, k)), mustCompile(f, signZone(f, manyNSZone(40), testSignTime, k)),
	}
	f.Add(pack(f, newQuery(testSignal, dns.TypeTXT, withDO())))
	f.Add(pack(f, newQuery(testOrigin, dns.TypeNS)))
	f.Add(pack(f, newQuery("x.sig."+testOrigin, dns.TypeA, withDO())))
	f.Add(pack(f, newQuery(testOrigin, dns.TypeNS, withDO())))
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, s := range snaps {
			for _, tcp := range []bool{false, true} {
				checkFuzzResponse(t, msg, s.respond(nil, msg, DefaultMaxUDPSize, tcp), tcp)
			}
		}
	})
}

func checkFuzzResponse(t *testing.T, msg, out []byte, tcp bool) {
	if out == nil {
		if len(msg) >= headerLen && !isResponse(msg) {
			t.Fatal("a query with a header got no response")
		}
		return
	}
	r := new(dns.Msg)
	if err := r.Unpack(out); err != nil {
		t.Fatalf("response does not unpack: %v\nquery % x\nresponse % x", err, msg, out)
	}
	if r.Id != binary.BigEndian.Uint16(msg) || !r.Response || r.RecursionAvailable {
		t.Fatalf("bad header: id %#x qr %v ra %v", r.Id, r.Response, r.RecursionAvailable)
	}
	if len(out) > maxMessageSize {
		t.Fatalf("%d bytes", len(out))
	}
	if tcp {
		return
	}
	limit := DefaultMaxUDPSize
	if q := new(dns.Msg); q.Unpack(msg) == nil && q.IsEdns0() == nil {
		limit = minUDPSize
	}
	if len(out) > limit {
		t.Fatalf("UDP response of %d bytes, the query allows %d", len(out), limit)
	}
}
