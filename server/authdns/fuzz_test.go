package authdns

import (
	"encoding/binary"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// FuzzAnswer feeds arbitrary bytes to the query path of four zones (one
// with an NS answer that needs truncation, two signed) over UDP and TCP,
// and to the truncated answer RRL slips. A response must unpack, belong to
// the query, never offer recursion, and over UDP fit the size the query
// allows: 512 without EDNS, min(EDNS size, 1232) with. A slipped answer
// must carry no records but OPT and never be larger than the query. Seeds
// are in testdata/fuzz/FuzzAnswer.
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
			if len(msg) >= headerLen && !isResponse(msg) {
				checkSlipped(t, msg, s.truncated(nil, msg, DefaultMaxUDPSize))
			}
		}
	})
}

func checkFuzzResponse(t *testing.T, msg, out []byte, tcp bool) {
	t.Helper()
	if out == nil {
		if len(msg) >= headerLen && !isResponse(msg) {
			t.Fatal("a query with a header got no response")
		}
		return
	}
	r := unpackResponse(t, msg, out)
	if len(out) > maxMessageSize {
		t.Fatalf("%d bytes", len(out))
	}
	if tcp {
		return
	}
	if limit := udpLimitOf(msg, r); len(out) > limit {
		t.Fatalf("UDP response of %d bytes, the query allows %d", len(out), limit)
	}
}

// unpackResponse unpacks out and checks that it answers msg.
func unpackResponse(t *testing.T, msg, out []byte) *dns.Msg {
	t.Helper()
	r := new(dns.Msg)
	if err := r.Unpack(out); err != nil {
		t.Fatalf("response does not unpack: %v\nquery % x\nresponse % x", err, msg, out)
	}
	if r.Id != binary.BigEndian.Uint16(msg) || !r.Response || r.RecursionAvailable {
		t.Fatalf("bad header: id %#x qr %v ra %v", r.Id, r.Response, r.RecursionAvailable)
	}
	return r
}

// udpLimitOf returns the UDP payload size msg allows, read by miekg/dns
// rather than by our parser: 512 without EDNS, else its EDNS size (at
// least 512) capped at ours. When miekg cannot unpack msg, the response r
// tells whether we saw EDNS: without an OPT it must fit 512, with one our
// cap.
func udpLimitOf(msg []byte, r *dns.Msg) int {
	q := new(dns.Msg)
	if q.Unpack(msg) != nil {
		if r.IsEdns0() == nil {
			return minUDPSize
		}
		return DefaultMaxUDPSize
	}
	opt := q.IsEdns0()
	if opt == nil {
		return minUDPSize
	}
	return min(max(int(opt.UDPSize()), minUDPSize), DefaultMaxUDPSize)
}

// checkSlipped checks an answer RRL slips to msg: no records but our OPT,
// and no amplification.
func checkSlipped(t *testing.T, msg, out []byte) {
	t.Helper()
	r := unpackResponse(t, msg, out)
	if len(r.Answer)+len(r.Ns) != 0 || len(r.Extra) > 1 || (len(r.Extra) == 1 && r.IsEdns0() == nil) {
		t.Fatalf("slipped answer with records:\n%v", r)
	}
	if len(out) > len(msg) {
		t.Fatalf("slipped answer of %d bytes to a query of %d\nquery % x\nresponse % x", len(out), len(msg), msg, out)
	}
}
