package authdns

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestNXDomainCompressed: NXDOMAIN answers, which serve any name, are
// compressed, and stay correct whatever the length of the question.
func TestNXDomainCompressed(t *testing.T) {
	z, _ := signedTestZone(t)
	s := mustCompile(t, z)
	var want []string
	for _, labels := range []int{1, 2, 5, 20, 60} {
		name := strings.Repeat("Ab.", labels) + "zz." + testOrigin // one NSEC interval
		for _, do := range []bool{false, true} {
			q := newQuery(name, dns.TypeA, withEDNS(1232))
			if do {
				q = newQuery(name, dns.TypeA, withDO())
			}
			raw := s.respond(nil, pack(t, q), DefaultMaxUDPSize, true)
			m := new(dns.Msg)
			if err := m.Unpack(raw); err != nil {
				t.Fatalf("%d labels, DO %v: %v", labels, do, err)
			}
			if m.Rcode != dns.RcodeNameError || m.Question[0].Name != name {
				t.Fatalf("%d labels: %v", labels, m)
			}
			if do {
				got := rrStrings(m.Ns)
				if want == nil {
					want = got
				} else if !slices.Equal(got, want) {
					t.Fatalf("%d labels: authority\n%q\nwant\n%q", labels, got, want)
				}
				uncompressed := m.Copy()
				uncompressed.Compress = false
				if b, _ := uncompressed.Pack(); len(raw) >= len(b) {
					t.Errorf("%d labels: %d bytes, no smaller than %d uncompressed", labels, len(raw), len(b))
				}
			}
		}
	}
	if len(want) < 4 {
		t.Fatalf("DO NXDOMAIN authority %q: want SOA, NSEC and RRSIGs", want)
	}
}
