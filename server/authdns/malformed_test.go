package authdns

import (
	"encoding/binary"
	"testing"

	"github.com/miekg/dns"
)

// raw builds a message from a header and body bytes.
func raw(id uint16, flags uint16, counts [4]uint16, body ...byte) []byte {
	b := make([]byte, headerLen, headerLen+len(body))
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], flags)
	for i, c := range counts {
		binary.BigEndian.PutUint16(b[4+2*i:], c)
	}
	return append(b, body...)
}

// signalQuestion is the wire question for the signal TXT.
func signalQuestion(t *testing.T) []byte {
	b := pack(t, newQuery(testSignal, dns.TypeTXT))
	return b[headerLen:]
}

func TestAnswerOpcodes(t *testing.T) {
	s := mustCompile(t, testZone())
	notimp := want{rcode: dns.RcodeNotImplemented, question: true}
	ednsNotimp := want{rcode: dns.RcodeNotImplemented, question: true, ar: 1, opt: true}
	cases := []answerCase{
		{"IQUERY", s, pack(t, newQuery(testSignal, dns.TypeTXT, withOpcode(dns.OpcodeIQuery))), false, notimp},
		{"STATUS", s, pack(t, newQuery(testSignal, dns.TypeTXT, withOpcode(dns.OpcodeStatus))), false, notimp},
		{"NOTIFY refused: we are the primary", s, pack(t, newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeNotify))), false, want{rcode: dns.RcodeRefused, question: true}},
		{"UPDATE", s, pack(t, newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeUpdate))), false, notimp},
		{"UPDATE with EDNS", s, pack(t, newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeUpdate), withEDNS(1232))), false, ednsNotimp},
		{"opcode 15", s, pack(t, newQuery(testSignal, dns.TypeTXT, withOpcode(15))), false, notimp},
		{"UPDATE without zone section", s, raw(7, 5<<11, [4]uint16{}), false, want{rcode: dns.RcodeNotImplemented}},
	}
	runAnswerCases(t, cases)
}

func TestAnswerMalformed(t *testing.T) {
	s := mustCompile(t, testZone())
	q := pack(t, newQuery(testSignal, dns.TypeTXT))
	qs := signalQuestion(t)
	formerr := want{rcode: dns.RcodeFormatError}
	cases := []answerCase{
		{"no question", s, raw(1, 0x0100, [4]uint16{}), false, formerr},
		{"no question, with EDNS keeps OPT", s, raw(1, 0x0100, [4]uint16{0, 0, 0, 1}, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0),
			false, want{rcode: dns.RcodeFormatError, ar: 1, opt: true}},
		{"two questions", s, raw(1, 0x0100, [4]uint16{2, 0, 0, 0}, append(append([]byte{}, qs...), qs...)...), false, formerr},
		{"answer section in a query", s, answerInQuery(t), false, want{rcode: dns.RcodeFormatError, question: true}},
		{"truncated question", s, q[:len(q)-3], false, formerr},
		{"truncated name", s, q[:headerLen+5], false, formerr},
		{"count larger than content", s, raw(1, 0, [4]uint16{1, 0, 0, 3}, qs...), false, formerr},
		{"compressed question name", s, raw(1, 0, [4]uint16{1, 0, 0, 0}, 0xc0, 0x0c, 0, 16, 0, 1), false, formerr},
		{"extended label type", s, raw(1, 0, [4]uint16{1, 0, 0, 0}, 0x41, 'a', 0, 0, 16, 0, 1), false, formerr},
		{"name over 255 bytes", s, raw(1, 0, [4]uint16{1, 0, 0, 0}, longName(300)...), false, formerr},
		{"two OPT records", s, twoOPT(t), false, formerr},
		{"OPT not at the root", s, optNotRoot(t), false, formerr},
		{"BADVERS for EDNS version 1", s, ednsVersion(t, 1), false,
			want{rcode: dns.RcodeBadVers, question: true, ar: 1, opt: true}},
		{"EDNS version 0 is fine", s, ednsVersion(t, 0), false,
			want{aa: true, an: 1, ar: 1, opt: true, question: true, answer: []string{rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)}}},
		{"trailing garbage is ignored", s, append(append([]byte{}, q...), 1, 2, 3), false,
			want{aa: true, an: 1, question: true, answer: []string{rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)}}},
		{"unknown additional record is skipped", s, withExtraTXT(t), false,
			want{aa: true, an: 1, question: true, answer: []string{rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)}}},
		{"response is dropped", s, raw(1, 0x8000, [4]uint16{1, 0, 0, 0}, qs...), false, want{drop: true}},
		{"FORMERR response is dropped", s, raw(1, 0x8001, [4]uint16{}), false, want{drop: true}},
		{"shorter than a header is dropped", s, []byte{1, 2, 3}, false, want{drop: true}},
		{"empty is dropped", s, nil, false, want{drop: true}},
	}
	runAnswerCases(t, cases)
}

func answerInQuery(t *testing.T) []byte {
	m := newQuery(testSignal, dns.TypeTXT)
	r, _ := dns.NewRR(testSignal + ` 300 IN TXT "x"`)
	m.Answer = []dns.RR{r}
	return pack(t, m)
}

func longName(n int) []byte {
	var b []byte
	for len(b) < n {
		b = append(b, 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i')
	}
	return append(b, 0, 0, 16, 0, 1)
}

func twoOPT(t *testing.T) []byte {
	m := newQuery(testSignal, dns.TypeTXT, withEDNS(1232))
	m.Extra = append(m.Extra, m.Extra[0])
	return pack(t, m)
}

func optNotRoot(t *testing.T) []byte {
	m := newQuery(testSignal, dns.TypeTXT, withEDNS(1232))
	m.Extra[0].Header().Name = testOrigin
	return pack(t, m)
}

func ednsVersion(t *testing.T, v uint8) []byte {
	m := newQuery(testSignal, dns.TypeTXT, withEDNS(1232))
	m.IsEdns0().SetVersion(v)
	return pack(t, m)
}

func withExtraTXT(t *testing.T) []byte {
	m := newQuery(testSignal, dns.TypeTXT)
	r, _ := dns.NewRR(`extra. 0 IN TXT "ignored"`)
	m.Extra = []dns.RR{r}
	return pack(t, m)
}
