package dnsharness

import (
	"testing"

	"github.com/miekg/dns"
)

const zoneText = `$ORIGIN mirrors.example.test.
@ 3600 IN SOA ns1 hostmaster 7 3600 600 1209600 300
@ 3600 IN NS ns1
ns1 3600 IN A 127.0.0.1
current 300 IN TXT "1488372781:0:0"
`

func TestPrimaries(t *testing.T) {
	for name, start := range map[string]func(testing.TB, Zone, Options) *Process{"nsd": NSD, "knot": Knot} {
		t.Run(name, func(t *testing.T) {
			p := start(t, Zone{Name: "mirrors.example.test.", ZoneText: zoneText}, Options{NoRRL: true})
			s, err := Serial(p.Addr, "mirrors.example.test.")
			if err != nil || s != 7 {
				t.Fatalf("serial %d, %v\n%s", s, err, p.Output())
			}
			m, err := Exchange(p.Addr, "current.mirrors.example.test.", dns.TypeTXT, false)
			if err != nil || m.Answer[0].(*dns.TXT).Txt[0] != "1488372781:0:0" {
				t.Fatalf("TXT: %v %v", m, err)
			}
		})
	}
}
