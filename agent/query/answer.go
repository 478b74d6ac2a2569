package query

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TXTAnswer is the TXT RRset at one name and the signatures over it.
type TXTAnswer struct {
	Text  string
	RRset []dns.RR
	Sigs  []*dns.RRSIG
}

// ExtractTXT takes, from the answer section of m, the TXT record owned by
// name: exactly one TXT RR holding exactly one character-string. Records at
// other names (a CNAME chain, junk) are ignored; RRSIGs over that TXT RRset
// are kept for validation.
func ExtractTXT(m *dns.Msg, name string) (TXTAnswer, error) {
	var a TXTAnswer
	for _, rr := range m.Answer {
		if !strings.EqualFold(rr.Header().Name, name) {
			continue
		}
		switch v := rr.(type) {
		case *dns.TXT:
			a.RRset = append(a.RRset, v)
		case *dns.RRSIG:
			if v.TypeCovered == dns.TypeTXT {
				a.Sigs = append(a.Sigs, v)
			}
		}
	}
	if len(a.RRset) != 1 {
		return TXTAnswer{}, fmt.Errorf("%w: %d TXT records at %s, want 1", ErrAnswer, len(a.RRset), name)
	}
	txt := a.RRset[0].(*dns.TXT).Txt
	if len(txt) != 1 {
		return TXTAnswer{}, fmt.Errorf("%w: TXT at %s has %d strings, want 1", ErrAnswer, name, len(txt))
	}
	a.Text = txt[0]
	return a, nil
}

// ParseSignal extracts the signal TXT at name from m and parses it against
// layout. It is the pure core of reading the signal (and a fuzz target).
func ParseSignal(m *dns.Msg, name string, layout signal.Layout) (signal.Record, TXTAnswer, error) {
	a, err := ExtractTXT(m, name)
	if err != nil {
		return signal.Record{}, TXTAnswer{}, err
	}
	r, err := signal.ParseRecord(a.Text, layout)
	if err != nil {
		return signal.Record{}, TXTAnswer{}, fmt.Errorf("%s TXT %q: %w", name, a.Text, err)
	}
	return r, a, nil
}

// ParseLayoutAnswer extracts and parses the `_trees` TXT at name.
func ParseLayoutAnswer(m *dns.Msg, name string) (signal.Layout, TXTAnswer, error) {
	a, err := ExtractTXT(m, name)
	if err != nil {
		return nil, TXTAnswer{}, err
	}
	l, err := signal.ParseLayout(a.Text)
	if err != nil {
		return nil, TXTAnswer{}, fmt.Errorf("%s TXT %q: %w", name, a.Text, err)
	}
	return l, a, nil
}
