package query

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzParseSignal feeds raw DNS messages to the answer → record
// extraction: it must never panic, and an accepted record must round-trip.
func FuzzParseSignal(f *testing.F) {
	for _, m := range []*dns.Msg{
		msgWith(name + ` 300 IN TXT "1488372781:1487767981:1488113581"`),
		msgWith(name + ` 300 IN TXT "0:0"`),
		msgWith(name+` 300 IN TXT "0:0:0"`, name+` 300 IN RRSIG TXT 13 4 300 20300101000000 20200101000000 2371 mirrors.example.test. AAAA`),
	} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := new(dns.Msg)
		if err := m.Unpack(data); err != nil {
			return
		}
		rec, ans, err := ParseSignal(m, name, layout)
		if err != nil {
			return
		}
		if rec.String() != ans.Text {
			t.Fatalf("record %q does not round-trip from %q", rec, ans.Text)
		}
	})
}

// FuzzParsePins feeds arbitrary dnssec.pins entries (one per line) to
// ParsePins: it must never panic, and accepted pins must name one zone
// that holds the signal, with every entry a DS or DNSKEY of that zone.
// Seeds are in testdata/fuzz/FuzzParsePins.
func FuzzParsePins(f *testing.F) {
	f.Fuzz(func(t *testing.T, lines string) {
		pins := strings.Split(lines, "\n")
		p, i, err := ParsePins(pins, name)
		if err != nil {
			if i < 0 || i >= len(pins) {
				t.Fatalf("error %v names entry %d of %d", err, i, len(pins))
			}
			return
		}
		if len(p.DS)+len(p.DNSKEYs) != len(pins) || !dns.IsSubDomain(p.Zone, name) {
			t.Fatalf("accepted %d pins of %d, zone %q", len(p.DS)+len(p.DNSKEYs), len(pins), p.Zone)
		}
		for _, k := range p.DNSKEYs {
			if !strings.EqualFold(k.Hdr.Name, p.Zone) {
				t.Fatalf("DNSKEY of %s under pins of %s", k.Hdr.Name, p.Zone)
			}
		}
		for _, d := range p.DS {
			if !strings.EqualFold(d.Hdr.Name, p.Zone) {
				t.Fatalf("DS of %s under pins of %s", d.Hdr.Name, p.Zone)
			}
		}
	})
}
