package query

import (
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
