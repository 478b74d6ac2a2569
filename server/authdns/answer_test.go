package authdns

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// want is what a response must be. Counts are header counts (the
// additional count includes the OPT); sections list the records other than
// OPT in zone-file form, in order.
type want struct {
	drop       bool // no response at all
	rcode      int  // as miekg reports it, extended rcodes included
	aa, tc     bool
	an, ns, ar int
	answer     []string
	authority  []string
	additional []string
	opt        bool // the response carries our OPT
	question   bool // the question is echoed
}

type answerCase struct {
	name  string
	snap  *Snapshot
	query []byte
	tcp   bool
	want  want
}

// ask runs respond on query and unpacks the result.
func ask(t *testing.T, s *Snapshot, query []byte, tcp bool) ([]byte, *dns.Msg) {
	t.Helper()
	raw := s.respond(nil, query, DefaultMaxUDPSize, tcp)
	if raw == nil {
		return nil, nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		t.Fatalf("response does not unpack: %v\n% x", err, raw)
	}
	return raw, m
}

func runAnswerCases(t *testing.T, cases []answerCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, m := ask(t, c.snap, c.query, c.tcp)
			if c.want.drop {
				if raw != nil {
					t.Fatalf("got a response, want none:\n%v", m)
				}
				return
			}
			if raw == nil {
				t.Fatal("no response")
			}
			checkResponse(t, c.query, raw, m, c.want)
		})
	}
}

func checkResponse(t *testing.T, query, raw []byte, m *dns.Msg, w want) {
	t.Helper()
	checkHeader(t, query, m, w)
	checkCounts(t, raw, w)
	checkQuestion(t, query, raw, w)
	checkSection(t, "answer", m.Answer, w.answer)
	checkSection(t, "authority", m.Ns, w.authority)
	checkSection(t, "additional", m.Extra, w.additional)
	checkOPT(t, query, m, w)
	if t.Failed() {
		t.Logf("response:\n%v", m)
	}
}

func checkHeader(t *testing.T, query []byte, m *dns.Msg, w want) {
	t.Helper()
	if m.Id != binary.BigEndian.Uint16(query) {
		t.Errorf("ID = %#x, want %#x", m.Id, binary.BigEndian.Uint16(query))
	}
	if !m.Response {
		t.Error("QR not set")
	}
	if m.RecursionAvailable {
		t.Error("RA set; we never recurse")
	}
	if rd := query[2]&flagRD != 0; m.RecursionDesired != rd {
		t.Errorf("RD = %v, want %v (copied)", m.RecursionDesired, rd)
	}
	if cd := query[3]&flagCD != 0; m.CheckingDisabled != cd {
		t.Errorf("CD = %v, want %v (copied)", m.CheckingDisabled, cd)
	}
	if op := int(query[2]&opcodeMask) >> 3; m.Opcode != op {
		t.Errorf("opcode = %d, want %d (copied)", m.Opcode, op)
	}
	if m.Rcode != w.rcode {
		t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[w.rcode])
	}
	if m.Authoritative != w.aa {
		t.Errorf("AA = %v, want %v", m.Authoritative, w.aa)
	}
	if m.Truncated != w.tc {
		t.Errorf("TC = %v, want %v", m.Truncated, w.tc)
	}
	if m.AuthenticatedData || m.Zero {
		t.Error("AD or Z set")
	}
}

func checkCounts(t *testing.T, raw []byte, w want) {
	t.Helper()
	qd := 0
	if w.question {
		qd = 1
	}
	got := [4]int{}
	for i := range got {
		got[i] = int(binary.BigEndian.Uint16(raw[4+2*i:]))
	}
	if exp := [4]int{qd, w.an, w.ns, w.ar}; got != exp {
		t.Errorf("counts qd/an/ns/ar = %v, want %v", got, exp)
	}
}

// checkQuestion asserts that the question is the query's, byte for byte.
func checkQuestion(t *testing.T, msg, raw []byte, w want) {
	t.Helper()
	if !w.question {
		return
	}
	var q query
	if err := parseQuery(msg, &q); err != nil {
		t.Fatalf("test query does not parse: %v", err)
	}
	end := headerLen + len(q.question)
	if len(raw) < end || !bytes.Equal(raw[headerLen:end], q.question) {
		t.Errorf("question not echoed byte for byte:\n got % x\nwant % x", raw[headerLen:min(end, len(raw))], q.question)
	}
}

func checkSection(t *testing.T, name string, got []dns.RR, want []string) {
	t.Helper()
	if g := rrStrings(got); !slices.Equal(g, want) {
		t.Errorf("%s section:\n got %s\nwant %s", name, strings.Join(g, "\n     "), strings.Join(want, "\n     "))
	}
}

func checkOPT(t *testing.T, query []byte, m *dns.Msg, w want) {
	t.Helper()
	opt := m.IsEdns0()
	if (opt != nil) != w.opt {
		t.Fatalf("OPT present = %v, want %v", opt != nil, w.opt)
	}
	if opt == nil {
		return
	}
	if opt.UDPSize() != DefaultMaxUDPSize || opt.Version() != 0 {
		t.Errorf("OPT size %d version %d, want %d and 0", opt.UDPSize(), opt.Version(), DefaultMaxUDPSize)
	}
	qm := new(dns.Msg)
	if qm.Unpack(query) == nil && qm.IsEdns0() != nil && opt.Do() != qm.IsEdns0().Do() {
		t.Errorf("DO = %v, want the query's %v", opt.Do(), qm.IsEdns0().Do())
	}
}

func TestAnswerPositive(t *testing.T) {
	s := mustCompile(t, testZone())
	txt := rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)
	glue := []string{rr(t, testNS1+" 3600 IN A 192.0.2.1"), rr(t, testNS1+" 3600 IN AAAA 2001:db8::1")}
	soa := rr(t, testOrigin+" 3600 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")
	nsSet := []string{rr(t, testOrigin+" 3600 IN NS "+testNS1), rr(t, testOrigin+" 3600 IN NS "+testNS2)}
	cases := []answerCase{
		{"signal TXT", s, pack(t, newQuery(testSignal, dns.TypeTXT)),
			false, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"signal TXT with EDNS", s, pack(t, newQuery(testSignal, dns.TypeTXT, withEDNS(4096))),
			false, want{aa: true, an: 1, ar: 1, answer: []string{txt}, opt: true, question: true}},
		{"signal TXT with DO echoes DO", s, pack(t, newQuery(testSignal, dns.TypeTXT, withDO())),
			false, want{aa: true, an: 1, ar: 1, answer: []string{txt}, opt: true, question: true}},
		{"signal TXT over TCP", s, pack(t, newQuery(testSignal, dns.TypeTXT)),
			true, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"trees TXT", s, pack(t, newQuery(testTrees, dns.TypeTXT)),
			false, want{aa: true, an: 1, answer: []string{rr(t, testTrees+` 300 IN TXT "`+testLayout+`"`)}, question: true}},
		{"apex SOA", s, pack(t, newQuery(testOrigin, dns.TypeSOA)),
			false, want{aa: true, an: 1, answer: []string{soa}, question: true}},
		{"apex NS with in-zone glue", s, pack(t, newQuery(testOrigin, dns.TypeNS)),
			false, want{aa: true, an: 2, ar: 2, answer: nsSet, additional: glue, question: true}},
		{"apex NS with EDNS keeps glue before OPT", s, pack(t, newQuery(testOrigin, dns.TypeNS, withEDNS(1232))),
			false, want{aa: true, an: 2, ar: 3, answer: nsSet, additional: glue, opt: true, question: true}},
		{"A at name server", s, pack(t, newQuery(testNS1, dns.TypeA)),
			false, want{aa: true, an: 1, answer: glue[:1], question: true}},
		{"AAAA at name server", s, pack(t, newQuery(testNS1, dns.TypeAAAA)),
			false, want{aa: true, an: 1, answer: glue[1:], question: true}},
		{"RD clear stays clear", s, pack(t, newQuery(testSignal, dns.TypeTXT, withoutRD())),
			false, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"CD copied", s, pack(t, newQuery(testSignal, dns.TypeTXT, withCD())),
			false, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"EDNS size below 512 counts as 512", s, pack(t, newQuery(testSignal, dns.TypeTXT, withEDNS(100))),
			false, want{aa: true, an: 1, ar: 1, answer: []string{txt}, opt: true, question: true}},
	}
	runAnswerCases(t, cases)
}

func TestAnswerNegative(t *testing.T) {
	s := mustCompile(t, testZone())
	deep := mustCompile(t, deepZone())
	negSOA := []string{rr(t, testOrigin+" 300 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")}
	deepSOA := []string{rr(t, testOrigin+" 300 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")}
	nodata := want{aa: true, ns: 1, authority: negSOA, question: true}
	nxdomain := want{rcode: dns.RcodeNameError, aa: true, ns: 1, authority: negSOA, question: true}
	refused := want{rcode: dns.RcodeRefused, question: true}
	withOPT := func(w want) want { w.ar++; w.opt = true; return w }
	cases := []answerCase{
		{"NODATA: A at the signal", s, pack(t, newQuery(testSignal, dns.TypeA)), false, nodata},
		{"NODATA: TXT at the apex", s, pack(t, newQuery(testOrigin, dns.TypeTXT)), false, nodata},
		{"NODATA: MX at a name server", s, pack(t, newQuery(testNS1, dns.TypeMX)), false, nodata},
		{"NODATA: DNSKEY while unsigned", s, pack(t, newQuery(testOrigin, dns.TypeDNSKEY)), false, nodata},
		{"NODATA with EDNS", s, pack(t, newQuery(testSignal, dns.TypeA, withEDNS(1232))), false, withOPT(nodata)},
		{"NODATA: empty non-terminal above the signal", deep,
			pack(t, newQuery("sig.mirrors.example.test.", dns.TypeTXT)), false, want{aa: true, ns: 1, authority: deepSOA, question: true}},
		{"NODATA: empty non-terminal above a name server", deep,
			pack(t, newQuery("ns.mirrors.example.test.", dns.TypeA)), false, want{aa: true, ns: 1, authority: deepSOA, question: true}},
		{"NXDOMAIN: unknown name", s, pack(t, newQuery("nope.mirrors.example.test.", dns.TypeTXT)), false, nxdomain},
		{"NXDOMAIN: below the signal", s, pack(t, newQuery("x."+testSignal, dns.TypeTXT)), false, nxdomain},
		{"NXDOMAIN: below an empty non-terminal", deep,
			pack(t, newQuery("x.sig.mirrors.example.test.", dns.TypeTXT)), false, nxdomain},
		{"NXDOMAIN: long name", s, pack(t, newQuery(strings.Repeat("a.", 100)+testOrigin, dns.TypeA)), false, nxdomain},
		{"NXDOMAIN with EDNS", s, pack(t, newQuery("nope.mirrors.example.test.", dns.TypeTXT, withEDNS(1232))), false, withOPT(nxdomain)},
		{"REFUSED: other zone", s, pack(t, newQuery("example.org.", dns.TypeA)), false, refused},
		{"REFUSED: parent zone", s, pack(t, newQuery("example.test.", dns.TypeSOA)), false, refused},
		{"REFUSED: root", s, pack(t, newQuery(".", dns.TypeNS)), false, refused},
		{"REFUSED: suffix not on a label boundary", s, pack(t, newQuery("xmirrors.example.test.", dns.TypeA)), false, refused},
		{"REFUSED: with EDNS", s, pack(t, newQuery("example.org.", dns.TypeA, withEDNS(1232))), false, withOPT(refused)},
		{"REFUSED: AXFR", s, pack(t, newQuery(testOrigin, dns.TypeAXFR)), true, refused},
		{"REFUSED: IXFR", s, pack(t, newQuery(testOrigin, dns.TypeIXFR)), true, refused},
		{"REFUSED: class CH", s, pack(t, newQuery(testSignal, dns.TypeTXT, withClass(dns.ClassCHAOS))), false, refused},
		{"REFUSED: class ANY", s, pack(t, newQuery(testSignal, dns.TypeTXT, withClass(dns.ClassANY))), false, refused},
	}
	runAnswerCases(t, cases)
}

func TestAnswerNegativeTTL(t *testing.T) {
	z := testZone()
	z.SOA.Minimum = 86400 // above the SOA TTL: the SOA TTL wins
	s := mustCompile(t, z)
	_, m := ask(t, s, pack(t, newQuery("nope."+testOrigin, dns.TypeA)), false)
	if len(m.Ns) != 1 || m.Ns[0].Header().Ttl != 3600 {
		t.Fatalf("authority = %v, want the SOA with TTL min(3600, 86400) = 3600", m.Ns)
	}
}

func TestAnswerANY(t *testing.T) {
	s := mustCompile(t, testZone())
	deep := mustCompile(t, deepZone())
	txt := rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)
	soa := rr(t, testOrigin+" 3600 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")
	negSOA := rr(t, testOrigin+" 300 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")
	cases := []answerCase{
		{"signal: the TXT only", s, pack(t, newQuery(testSignal, dns.TypeANY)),
			false, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"signal over TCP: still minimal", s, pack(t, newQuery(testSignal, dns.TypeANY)),
			true, want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"apex: the SOA only", s, pack(t, newQuery(testOrigin, dns.TypeANY)),
			false, want{aa: true, an: 1, answer: []string{soa}, question: true}},
		{"name server: the A only", s, pack(t, newQuery(testNS1, dns.TypeANY)),
			false, want{aa: true, an: 1, answer: []string{rr(t, testNS1+" 3600 IN A 192.0.2.1")}, question: true}},
		{"empty non-terminal: NODATA", deep, pack(t, newQuery("sig.mirrors.example.test.", dns.TypeANY)),
			false, want{aa: true, ns: 1, authority: []string{negSOA}, question: true}},
		{"unknown name: NXDOMAIN", s, pack(t, newQuery("nope."+testOrigin, dns.TypeANY)),
			false, want{rcode: dns.RcodeNameError, aa: true, ns: 1, authority: []string{negSOA}, question: true}},
	}
	runAnswerCases(t, cases)
}

// TestAnswerCase checks 0x20 case preservation: the question comes back as
// sent, and answer owners, compressed against it, show the same case.
func TestAnswerCase(t *testing.T) {
	s := mustCompile(t, testZone())
	for _, name := range []string{"CuRrEnT.MiRrOrS.ExAmPlE.TeSt.", "CURRENT.MIRRORS.EXAMPLE.TEST.", "current.mirrors.EXAMPLE.test."} {
		t.Run(name, func(t *testing.T) {
			q := pack(t, newQuery(name, dns.TypeTXT))
			raw, m := ask(t, s, q, false)
			checkResponse(t, q, raw, m, want{aa: true, an: 1, question: true,
				answer: []string{rr(t, name+` 300 IN TXT "`+testRecord+`"`)}})
			if m.Question[0].Name != name || m.Answer[0].Header().Name != name {
				t.Errorf("question %q, answer owner %q, want both %q", m.Question[0].Name, m.Answer[0].Header().Name, name)
			}
		})
	}
}

func TestAnswerTruncation(t *testing.T) {
	mid := mustCompile(t, manyNSZone(20))  // NS answer with glue between 512 and 1232 bytes, without below 512
	big := mustCompile(t, manyNSZone(40))  // NS RRset alone between 512 and 1232 bytes
	huge := mustCompile(t, manyNSZone(70)) // NS RRset alone above 1232 bytes
	nsQuery := func(opts ...qopt) []byte { return pack(t, newQuery(testOrigin, dns.TypeNS, opts...)) }
	cases := []answerCase{
		{"no EDNS: glue dropped to fit 512", mid, nsQuery(), false, want{aa: true, an: 20, question: true}},
		{"no EDNS: over 512 without glue is truncated", big, nsQuery(), false, want{aa: true, tc: true, question: true}},
		{"no EDNS over TCP: full", mid, nsQuery(), true, want{aa: true, an: 20, ar: 20, question: true}},
		{"EDNS 1232: fits", mid, nsQuery(withEDNS(1232)), false, want{aa: true, an: 20, ar: 21, opt: true, question: true}},
		{"EDNS 512: glue dropped, OPT kept", mid, nsQuery(withEDNS(512)), false, want{aa: true, an: 20, ar: 1, opt: true, question: true}},
		{"EDNS 512: truncated, OPT kept", big, nsQuery(withEDNS(512)), false, want{aa: true, tc: true, ar: 1, opt: true, question: true}},
		{"EDNS 1232: glue dropped", big, nsQuery(withEDNS(1232)), false, want{aa: true, an: 40, ar: 1, opt: true, question: true}},
		{"EDNS 4096: capped at our 1232", huge, nsQuery(withEDNS(4096)), false, want{aa: true, tc: true, ar: 1, opt: true, question: true}},
		{"EDNS over TCP: full", huge, nsQuery(withEDNS(4096)), true, want{aa: true, an: 70, ar: 71, opt: true, question: true}},
	}
	for i, c := range cases {
		cases[i].want.answer, cases[i].want.additional = wantNS(t, c.snap, c.want.an)
		if c.want.ar <= 1 { // no glue
			cases[i].want.additional = nil
		}
	}
	runAnswerCases(t, cases)
	t.Run("sizes are what the cases assume", func(t *testing.T) {
		for snap, r := range map[*Snapshot][2]int{mid: {minUDPSize, DefaultMaxUDPSize}, huge: {DefaultMaxUDPSize, maxMessageSize}} {
			full := snap.respond(nil, nsQuery(withEDNS(4096)), maxMessageSize, true)
			if len(full) <= r[0] || len(full) > r[1] {
				t.Errorf("full NS answer is %d bytes, want in (%d, %d]", len(full), r[0], r[1])
			}
		}
	})
}

// wantNS returns the NS answer and glue of a manyNSZone with n servers, or
// nils for n = 0.
func wantNS(t *testing.T, s *Snapshot, n int) (answer, glue []string) {
	if n == 0 {
		return nil, nil
	}
	full := s.respond(nil, pack(t, newQuery(testOrigin, dns.TypeNS)), maxMessageSize, true)
	m := new(dns.Msg)
	if err := m.Unpack(full); err != nil {
		t.Fatal(err)
	}
	answer, glue = rrStrings(m.Answer), rrStrings(m.Extra)
	if len(answer) != n || len(glue) != n {
		t.Fatalf("NS answer has %d NS and %d glue, want %d each", len(answer), len(glue), n)
	}
	for i := range n {
		if !strings.Contains(answer[i], "\tNS\t") || !strings.Contains(glue[i], "\tA\t") {
			t.Fatalf("record %d: %q / %q", i, answer[i], glue[i])
		}
	}
	return answer, glue
}

func TestAnswerNotReady(t *testing.T) {
	s, err := notReady()
	if err != nil {
		t.Fatal(err)
	}
	runAnswerCases(t, []answerCase{
		{"SERVFAIL before the first zone", s, pack(t, newQuery(testSignal, dns.TypeTXT)),
			false, want{rcode: dns.RcodeServerFailure, question: true}},
		{"SERVFAIL with EDNS", s, pack(t, newQuery(testSignal, dns.TypeTXT, withEDNS(1232))),
			false, want{rcode: dns.RcodeServerFailure, ar: 1, opt: true, question: true}},
		{"FORMERR still FORMERR", s, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			false, want{rcode: dns.RcodeFormatError}},
	})
}
