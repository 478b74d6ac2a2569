package authdns

import (
	"slices"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

func recordStrings(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, r := range rrs {
		out[i] = r.String()
	}
	return out
}

func TestRecordsUnsigned(t *testing.T) {
	s := mustCompile(t, testZone())
	got := recordStrings(s.Records())
	want := []string{
		rr(t, testOrigin+" 3600 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300"),
		rr(t, testOrigin+" 3600 IN NS "+testNS1),
		rr(t, testOrigin+" 3600 IN NS "+testNS2),
		rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`),
		rr(t, testTrees+` 300 IN TXT "`+testLayout+`"`),
		rr(t, testNS1+" 3600 IN A 192.0.2.1"),
		rr(t, testNS1+" 3600 IN AAAA 2001:db8::1"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Records:\n got %q\nwant %q", got, want)
	}
	if !s.SignatureExpiry().IsZero() {
		t.Errorf("SignatureExpiry of an unsigned zone = %v, want zero", s.SignatureExpiry())
	}
	if again := recordStrings(mustCompile(t, testZone()).Records()); !slices.Equal(again, got) {
		t.Errorf("order differs between two compiles:\n%q\n%q", again, got)
	}
}

func TestRecordsSigned(t *testing.T) {
	ksk, zsk := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK), newKey(t, dnssec.AlgECDSAP256, dnssec.FlagZSK)
	z := signZone(t, testZone(), testSignTime, ksk, zsk)
	s := mustCompile(t, z)
	rrs := s.Records()
	if rrs[0].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("first record %v, want the SOA", rrs[0])
	}
	if sig, ok := rrs[1].(*dns.RRSIG); !ok || sig.TypeCovered != dns.TypeSOA {
		t.Fatalf("second record %v, want the SOA's RRSIG", rrs[1])
	}
	sets, err := z.RRsets()
	if err != nil {
		t.Fatal(err)
	}
	count := map[uint16]int{}
	for _, r := range rrs {
		count[r.Header().Rrtype]++
	}
	// 4 names (apex, current, _trees.current, ns1) own 6 RRsets, plus
	// DNSKEY and 4 NSEC; one SOA only (the transfer adds the closing one).
	want := map[uint16]int{dns.TypeSOA: 1, dns.TypeNS: 2, dns.TypeA: 1, dns.TypeAAAA: 1, dns.TypeTXT: 2,
		dns.TypeDNSKEY: 2, dns.TypeNSEC: 4, dns.TypeRRSIG: len(sets)}
	for typ, n := range want {
		if count[typ] != n {
			t.Errorf("%d %s records, want %d", count[typ], dns.TypeToString[typ], n)
		}
	}
	for _, set := range sets {
		sigs := rrsigsOf(rrs, set.Name, set.Type)
		if len(sigs) != 1 {
			t.Errorf("%s %s: %d RRSIGs in Records, want 1", set.Name, dns.TypeToString[set.Type], len(sigs))
			continue
		}
		if err := sigs[0].Verify(keyByTag(z.DNSSEC.Keys, sigs[0].KeyTag).DNSKEY, set.RRs); err != nil {
			t.Errorf("%s %s: %v", set.Name, dns.TypeToString[set.Type], err)
		}
	}
	if !slices.Equal(recordStrings(rrs), recordStrings(s.Records())) {
		t.Error("Records is not stable")
	}
	rrs[0].Header().Ttl = 1
	if s.Records()[0].Header().Ttl == 1 {
		t.Error("Records returns the snapshot's own records, not copies")
	}
}

func TestSignatureExpiry(t *testing.T) {
	k := newKey(t, dnssec.AlgEd25519, dnssec.FlagKSK)
	z := signZone(t, testZone(), testSignTime, k)
	// Re-sign the signal TXT with a short validity, as the signal policy does.
	set := dnssec.RRset{Name: testSignal, Type: dns.TypeTXT, RRs: []dns.RR{zoneTXT(t, testSignal, testRecord)}}
	short, err := dnssec.NewSig(set, k, dnssec.SignalValidity, testSignTime)
	if err != nil {
		t.Fatal(err)
	}
	z.DNSSEC.Sigs[set.Key()] = []*dns.RRSIG{short}
	got := mustCompile(t, z).SignatureExpiry()
	if want := testSignTime.Add(dnssec.SignalValidity); !got.Equal(want) {
		t.Fatalf("SignatureExpiry = %v, want %v (the signal's)", got, want)
	}
}

func zoneTXT(t testing.TB, name, s string) dns.RR {
	t.Helper()
	return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{s}}
}
