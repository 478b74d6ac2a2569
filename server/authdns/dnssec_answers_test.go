package authdns

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// signedCase is a zone signed with one key layout.
type signedCase struct {
	name string
	keys func(t testing.TB) []*dnssec.Key
}

var keyLayouts = []signedCase{
	{"ECDSA combined", func(t testing.TB) []*dnssec.Key {
		return []*dnssec.Key{newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)}
	}},
	{"ECDSA KSK+ZSK", func(t testing.TB) []*dnssec.Key {
		return []*dnssec.Key{newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK), newKey(t, dnssec.AlgECDSAP256, dnssec.FlagZSK)}
	}},
	{"Ed25519 combined", func(t testing.TB) []*dnssec.Key {
		return []*dnssec.Key{newKey(t, dnssec.AlgEd25519, dnssec.FlagKSK)}
	}},
}

// validator checks DNSSEC material in responses the way a validator would,
// with the zone's keys as trust anchor and testSignTime as the clock.
type validator struct {
	t      *testing.T
	keys   []*dnssec.Key
	origin string
	names  []string // every name that exists, empty non-terminals included
}

func newValidator(t *testing.T, z Zone) *validator {
	sets, err := z.RRsets()
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{t: t, keys: z.DNSSEC.Keys, origin: testOrigin}
	for _, s := range sets {
		for n := s.Name; dns.IsSubDomain(testOrigin, n); n = parentName(n) {
			if !slices.Contains(v.names, n) {
				v.names = append(v.names, n)
			}
			if n == testOrigin {
				break
			}
		}
	}
	return v
}

// parentName strips the first label of a presentation name.
func parentName(n string) string {
	off, end := dns.NextLabel(n, 0)
	if end {
		return "."
	}
	return n[off:]
}

// rrset returns the records of rrs with name and type, case-insensitively.
func rrset(rrs []dns.RR, name string, t uint16) []dns.RR {
	var out []dns.RR
	for _, r := range rrs {
		if r.Header().Rrtype == t && strings.EqualFold(r.Header().Name, name) {
			out = append(out, r)
		}
	}
	return out
}

// verifySet asserts that the RRset name/t in section is signed by a zone
// key (the KSK for DNSKEY when the zone has one) and that every RRSIG for
// it verifies and is valid at testSignTime.
func (v *validator) verifySet(section []dns.RR, name string, t uint16) {
	v.t.Helper()
	set := rrset(section, name, t)
	sigs := rrsigsOf(section, name, t)
	if len(set) == 0 || len(sigs) == 0 {
		v.t.Errorf("%s %s: %d records and %d RRSIGs, want both", name, dns.TypeToString[t], len(set), len(sigs))
		return
	}
	for _, sig := range sigs {
		k := keyByTag(v.keys, sig.KeyTag)
		if k == nil {
			v.t.Errorf("%s %s: RRSIG by unknown key %d", name, dns.TypeToString[t], sig.KeyTag)
			continue
		}
		if err := sig.Verify(k.DNSKEY, set); err != nil || !sig.ValidityPeriod(testSignTime) {
			v.t.Errorf("%s %s: RRSIG by %d: %v, valid %v", name, dns.TypeToString[t], sig.KeyTag, err, sig.ValidityPeriod(testSignTime))
		}
		if sig.Hdr.Ttl != set[0].Header().Ttl {
			v.t.Errorf("%s %s: RRSIG TTL %d, RRset TTL %d", name, dns.TypeToString[t], sig.Hdr.Ttl, set[0].Header().Ttl)
		}
		if wantKSK := t == dns.TypeDNSKEY || !v.hasZSK(); k.KSK() != wantKSK {
			v.t.Errorf("%s %s signed by key %d (KSK %v), want KSK %v", name, dns.TypeToString[t], k.Tag(), k.KSK(), wantKSK)
		}
	}
}

func (v *validator) hasZSK() bool {
	return slices.ContainsFunc(v.keys, func(k *dnssec.Key) bool { return !k.KSK() })
}

// verifyAll verifies every RRset of section but the RRSIGs themselves.
func (v *validator) verifyAll(section []dns.RR) {
	v.t.Helper()
	for _, r := range section {
		if t := r.Header().Rrtype; t != dns.TypeRRSIG && t != dns.TypeOPT {
			v.verifySet(section, r.Header().Name, t)
		}
	}
}

// covers reports whether nsec covers name: name lies strictly between its
// owner and next name in canonical order (the last NSEC wraps to the apex).
func covers(nsec *dns.NSEC, name string) bool {
	owner, next := nsec.Hdr.Name, nsec.NextDomain
	after := dnssec.CanonicalLess(owner, name)
	if dnssec.CanonicalLess(owner, next) {
		return after && dnssec.CanonicalLess(name, next)
	}
	return after || dnssec.CanonicalLess(name, next)
}

// closestEncloser returns the longest existing ancestor of name.
func (v *validator) closestEncloser(name string) string {
	for n := parentName(name); ; n = parentName(n) {
		if slices.Contains(v.names, dns.CanonicalName(n)) {
			return dns.CanonicalName(n)
		}
		if n == "." {
			v.t.Fatalf("%s has no encloser in the zone", name)
		}
	}
}

func nsecs(section []dns.RR) []*dns.NSEC {
	var out []*dns.NSEC
	for _, r := range section {
		if n, ok := r.(*dns.NSEC); ok {
			out = append(out, n)
		}
	}
	return out
}

// checkNXDOMAIN asserts a secure denial of name (RFC 4035 §5.4): the SOA
// signed, an NSEC covering name and one covering the wildcard at its
// closest encloser, each signed, no NSEC twice, nothing else.
func (v *validator) checkNXDOMAIN(name string, m *dns.Msg) {
	v.t.Helper()
	if m.Rcode != dns.RcodeNameError || len(m.Answer) != 0 {
		v.t.Fatalf("%s: %s with %d answers, want NXDOMAIN\n%v", name, dns.RcodeToString[m.Rcode], len(m.Answer), m)
	}
	v.verifyAll(m.Ns)
	if len(rrset(m.Ns, testOrigin, dns.TypeSOA)) != 1 {
		v.t.Errorf("%s: no SOA in authority", name)
	}
	ns := nsecs(m.Ns)
	wildcard := "*." + v.closestEncloser(name)
	coverName := slices.ContainsFunc(ns, func(n *dns.NSEC) bool { return covers(n, name) })
	coverWild := slices.ContainsFunc(ns, func(n *dns.NSEC) bool { return covers(n, wildcard) })
	if !coverName || !coverWild || len(ns) > 2 || (len(ns) == 2 && ns[0].Hdr.Name == ns[1].Hdr.Name) {
		v.t.Errorf("%s: NSECs %v: cover the name %v, cover %s %v, want both from at most two distinct NSEC",
			name, ns, coverName, wildcard, coverWild)
	}
	if len(m.Ns) != 2+2*len(ns) {
		v.t.Errorf("%s: authority has %d records, want SOA, NSECs and one RRSIG each", name, len(m.Ns))
	}
}

// checkNODATA asserts a secure NODATA for qtype at name: the signed SOA and
// a signed NSEC at name without qtype in its bitmap, or, for an empty
// non-terminal, an NSEC covering name whose next name is below it.
func (v *validator) checkNODATA(name string, qtype uint16, m *dns.Msg) {
	v.t.Helper()
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 {
		v.t.Fatalf("%s %s: %s with %d answers, want NODATA", name, dns.TypeToString[qtype], dns.RcodeToString[m.Rcode], len(m.Answer))
	}
	v.verifyAll(m.Ns)
	ns := nsecs(m.Ns)
	if len(ns) != 1 || len(m.Ns) != 4 {
		v.t.Fatalf("%s: authority %v, want SOA, one NSEC and their RRSIGs", name, m.Ns)
	}
	n := ns[0]
	switch {
	case strings.EqualFold(n.Hdr.Name, name):
		if slices.Contains(n.TypeBitMap, qtype) || slices.Contains(n.TypeBitMap, dns.TypeCNAME) {
			v.t.Errorf("%s: NSEC bitmap %v has %s or CNAME", name, n.TypeBitMap, dns.TypeToString[qtype])
		}
	case covers(n, name) && dns.IsSubDomain(name, n.NextDomain):
		// an empty non-terminal: it exists (a name below it does) and owns nothing
	default:
		v.t.Errorf("%s: NSEC %v neither matches it nor proves an empty non-terminal", name, n)
	}
}

// askDO sends a DO query over TCP (no size limit) and unpacks the answer.
func askDO(t *testing.T, s *Snapshot, name string, qtype uint16, opts ...qopt) *dns.Msg {
	t.Helper()
	q := pack(t, newQuery(name, qtype, append([]qopt{withDO()}, opts...)...))
	raw, m := ask(t, s, q, true)
	if m == nil {
		t.Fatalf("%s %s: no response", name, dns.TypeToString[qtype])
	}
	if m.AuthenticatedData || !m.Authoritative || m.IsEdns0() == nil || !m.IsEdns0().Do() {
		t.Errorf("%s %s: AD %v AA %v, OPT %v: want AA, no AD, DO echoed", name, dns.TypeToString[qtype], m.AuthenticatedData, m.Authoritative, m.IsEdns0())
	}
	checkQuestion(t, q, raw, want{question: true})
	return m
}

func TestSignedPositiveDO(t *testing.T) {
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			z := signZone(t, testZone(), testSignTime, kl.keys(t)...)
			s, v := mustCompile(t, z), newValidator(t, z)
			for _, c := range []struct {
				name      string
				qtype     uint16
				answer    uint16 // type of the RRset answered
				nAnswer   int
				wantExtra []uint16
			}{
				{testSignal, dns.TypeTXT, dns.TypeTXT, 1, nil},
				{"CuRrEnT.mirrors.EXAMPLE.test.", dns.TypeTXT, dns.TypeTXT, 1, nil},
				{testTrees, dns.TypeTXT, dns.TypeTXT, 1, nil},
				{testOrigin, dns.TypeSOA, dns.TypeSOA, 1, nil},
				{testOrigin, dns.TypeNS, dns.TypeNS, 2, []uint16{dns.TypeA, dns.TypeAAAA}},
				{testOrigin, dns.TypeDNSKEY, dns.TypeDNSKEY, len(z.DNSSEC.Keys), nil},
				{testNS1, dns.TypeA, dns.TypeA, 1, nil},
				{testNS1, dns.TypeAAAA, dns.TypeAAAA, 1, nil},
				{testSignal, dns.TypeNSEC, dns.TypeNSEC, 1, nil},
				{testSignal, dns.TypeANY, dns.TypeTXT, 1, nil},
				{testOrigin, dns.TypeANY, dns.TypeSOA, 1, nil},
			} {
				t.Run(c.name+"/"+dns.TypeToString[c.qtype], func(t *testing.T) {
					v.t = t
					m := askDO(t, s, c.name, c.qtype)
					if got := len(rrset(m.Answer, c.name, c.answer)); got != c.nAnswer || len(m.Answer) != c.nAnswer+len(rrsigsOf(m.Answer, c.name, c.answer)) {
						t.Fatalf("answer %v, want %d %s and their RRSIGs only", m.Answer, c.nAnswer, dns.TypeToString[c.answer])
					}
					v.verifySet(m.Answer, c.name, c.answer)
					for _, et := range c.wantExtra {
						v.verifySet(m.Extra, testNS1, et)
					}
					if len(m.Ns) != 0 {
						t.Errorf("authority %v, want none", m.Ns)
					}
				})
			}
		})
	}
}

// TestSignedWithoutDO checks that a query without DO gets, from a signed
// zone, the very bytes the unsigned zone gives: no RRSIG, NSEC or DNSKEY
// unless asked for by type.
func TestSignedWithoutDO(t *testing.T) {
	z, _ := signedTestZone(t)
	signed, plain := mustCompile(t, z), mustCompile(t, testZone())
	dz := signZone(t, deepZone(), testSignTime, newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK))
	deepSigned, deepPlain := mustCompile(t, dz), mustCompile(t, deepZone())
	queries := []struct {
		name  string
		qtype uint16
	}{
		{testSignal, dns.TypeTXT}, {testTrees, dns.TypeTXT}, {testOrigin, dns.TypeSOA}, {testOrigin, dns.TypeNS},
		{testNS1, dns.TypeA}, {testSignal, dns.TypeANY}, {testOrigin, dns.TypeANY}, {testSignal, dns.TypeA},
		{"nope." + testOrigin, dns.TypeTXT}, {"x." + testSignal, dns.TypeA}, {"example.org.", dns.TypeA},
		{testOrigin, dns.TypeDS}, {"sig." + testOrigin, dns.TypeTXT},
	}
	for _, pair := range [][2]*Snapshot{{signed, plain}, {deepSigned, deepPlain}} {
		for _, q := range queries {
			for _, opts := range [][]qopt{nil, {withEDNS(1232)}, {withEDNS(1232), withCD()}} {
				msg := pack(t, newQuery(q.name, q.qtype, opts...))
				got, want := pair[0].respond(nil, msg, DefaultMaxUDPSize, false), pair[1].respond(nil, msg, DefaultMaxUDPSize, false)
				if !bytes.Equal(got, want) {
					t.Errorf("%s %s (%d options): signed zone answers differently without DO", q.name, dns.TypeToString[q.qtype], len(opts))
				}
			}
		}
	}
	_, m := ask(t, signed, pack(t, newQuery(testOrigin, dns.TypeDNSKEY, withEDNS(1232))), false)
	if len(m.Answer) != 1 || m.Answer[0].Header().Rrtype != dns.TypeDNSKEY || len(m.Ns)+len(m.Extra) != 1 {
		t.Errorf("DNSKEY without DO: %v, want the DNSKEY alone", m)
	}
}

func TestSignedNXDOMAIN(t *testing.T) {
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			for _, base := range []Zone{testZone(), deepZone()} {
				z := signZone(t, base, testSignTime, kl.keys(t)...)
				s, v := mustCompile(t, z), newValidator(t, z)
				for _, name := range []string{
					"nope." + testOrigin, "a." + testOrigin, "zzz." + testOrigin, "!." + testOrigin, "*." + testOrigin,
					"x." + testSignal, "a.b." + testSignal, "x." + testTrees, "X.Ns1." + testOrigin,
					"x.sig." + testOrigin, "zz.sig." + testOrigin, "b.ns." + testOrigin, "y.x.a.ns." + testOrigin,
					`\000.` + testOrigin, `a\001.` + testOrigin, `\255.` + testSignal, "current0." + testOrigin,
					strings.Repeat("a.", 100) + testOrigin,
				} {
					t.Run(name, func(t *testing.T) {
						v.t = t
						if slices.Contains(v.names, dns.CanonicalName(name)) {
							return // exists in this zone
						}
						v.checkNXDOMAIN(name, askDO(t, s, name, dns.TypeA))
					})
				}
			}
		})
	}
}

// TestSignedNXDOMAINRandom checks the proofs for many random names, with
// labels drawn to fall into every NSEC interval and below every name.
func TestSignedNXDOMAINRandom(t *testing.T) {
	z := signZone(t, deepZone(), testSignTime, newKey(t, dnssec.AlgEd25519, dnssec.FlagKSK))
	s, v := mustCompile(t, z), newValidator(t, z)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "z", "-", "_", "*", "0", "!", "~", "A", "Z", `\000`, `\001`, `\255`, "current", "ns", "sig", "_trees"}
	for i := range 2000 {
		name := v.names[r.IntN(len(v.names))]
		for range 1 + r.IntN(3) {
			var label string
			for range 1 + r.IntN(3) {
				label += alphabet[r.IntN(len(alphabet))]
			}
			name = label + "." + name
		}
		if slices.Contains(v.names, dns.CanonicalName(name)) {
			continue
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			v.t = t
			v.checkNXDOMAIN(name, askDO(t, s, name, dns.TypeTXT))
		})
	}
}

func TestSignedNODATA(t *testing.T) {
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			z := signZone(t, deepZone(), testSignTime, kl.keys(t)...)
			s, v := mustCompile(t, z), newValidator(t, z)
			for _, c := range []struct {
				name  string
				qtype uint16
			}{
				{"current.sig." + testOrigin, dns.TypeA},
				{testOrigin, dns.TypeTXT},
				{testOrigin, dns.TypeDS},
				{"a.ns." + testOrigin, dns.TypeMX},
				{"A.NS." + testOrigin, dns.TypeAAAA},
				{"sig." + testOrigin, dns.TypeTXT}, // empty non-terminal
				{"ns." + testOrigin, dns.TypeA},    // empty non-terminal
				{"sig." + testOrigin, dns.TypeANY},
				{"sig." + testOrigin, dns.TypeRRSIG},
			} {
				t.Run(c.name+"/"+dns.TypeToString[c.qtype], func(t *testing.T) {
					v.t = t
					v.checkNODATA(c.name, c.qtype, askDO(t, s, c.name, c.qtype))
				})
			}
		})
	}
}

// TestSignedRRSIGQuery: qtype RRSIG gets every RRSIG at the name.
func TestSignedRRSIGQuery(t *testing.T) {
	z, _ := signedTestZone(t)
	s := mustCompile(t, z)
	for _, do := range []bool{false, true} {
		q := newQuery(testSignal, dns.TypeRRSIG)
		q.SetEdns0(1232, do)
		_, m := ask(t, s, pack(t, q), false)
		var covered []uint16
		for _, r := range m.Answer {
			sig, ok := r.(*dns.RRSIG)
			if !ok {
				t.Fatalf("DO %v: answer has %v", do, r)
			}
			covered = append(covered, sig.TypeCovered)
		}
		if !slices.Equal(covered, []uint16{dns.TypeTXT, dns.TypeNSEC}) {
			t.Errorf("DO %v: RRSIGs cover %v, want TXT and NSEC", do, covered)
		}
	}
}

// TestSignedTruncation: a DO answer that does not fit drops the RRSIGs of
// the additional section, then the glue, before it sets TC; an answer
// without DO drops the glue.
func TestSignedTruncation(t *testing.T) {
	k := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	nsQuery := func(opts ...qopt) []byte { return pack(t, newQuery(testOrigin, dns.TypeNS, opts...)) }
	for _, c := range []struct {
		servers        int
		glue, glueSigs bool
		tc             bool
	}{
		{2, true, true, false},
		{20, true, false, false},
		{40, false, false, false},
		{70, false, false, true},
	} {
		t.Run(fmt.Sprint(c.servers), func(t *testing.T) {
			z := signZone(t, manyNSZone(c.servers), testSignTime, k)
			if c.servers == 2 {
				z = signZone(t, testZone(), testSignTime, k)
			}
			s := mustCompile(t, z)
			raw, m := ask(t, s, nsQuery(withDO()), false)
			if len(raw) > DefaultMaxUDPSize || m.Truncated != c.tc {
				t.Fatalf("%d bytes, TC %v, want at most %d and TC %v", len(raw), m.Truncated, DefaultMaxUDPSize, c.tc)
			}
			glue := len(m.Extra) > 1
			sigs := len(rrsigsOf(m.Extra, m.Extra[0].Header().Name, m.Extra[0].Header().Rrtype)) > 0
			if !c.tc && (glue != c.glue || sigs != c.glueSigs || len(rrsigsOf(m.Answer, testOrigin, dns.TypeNS)) != 1) {
				t.Errorf("glue %v, glue RRSIGs %v, NS RRSIG %d; want %v, %v, 1", glue, sigs, len(rrsigsOf(m.Answer, testOrigin, dns.TypeNS)), c.glue, c.glueSigs)
			}
			_, whole := ask(t, s, nsQuery(withDO()), true)
			if n := len(z.NS); c.servers > 2 && len(whole.Extra) != 2*n+1 {
				t.Errorf("over TCP: %d additional records, want %d glue, their RRSIGs and OPT", len(whole.Extra), n)
			}
			if c.servers == 40 {
				_, plain := ask(t, s, nsQuery(withEDNS(1232)), false)
				if plain.Truncated || len(plain.Answer) != 40 || len(plain.Extra) != 1 {
					t.Errorf("without DO: TC %v, %d answers, %d additional; want the NS RRset without glue", plain.Truncated, len(plain.Answer), len(plain.Extra))
				}
			}
		})
	}
}

func TestCompileRejectsBadSigning(t *testing.T) {
	k := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	other, err := dnssec.Generate("example.org.", dnssec.AlgECDSAP256, dnssec.FlagKSK, 3600)
	if err != nil {
		t.Fatal(err)
	}
	txt := dnssec.SetKey{Name: testSignal, Type: dns.TypeTXT}
	for _, c := range []struct {
		name   string
		mutate func(z *Zone)
		want   string
	}{
		{"no keys", func(z *Zone) { z.DNSSEC.Keys = nil }, "DNSSEC.Keys: a signed zone needs at least one key"},
		{"key of another zone", func(z *Zone) { z.DNSSEC.Keys = append(z.DNSSEC.Keys, other) }, "is for example.org."},
		{"key twice", func(z *Zone) { z.DNSSEC.Keys = append(z.DNSSEC.Keys, k) }, "appears twice"},
		{"no signatures at all", func(z *Zone) { z.DNSSEC.Sigs = nil }, "has no signature"},
		{"an RRset unsigned", func(z *Zone) { delete(z.DNSSEC.Sigs, txt) }, testSignal + " TXT has no signature"},
		{"content changed after signing", func(z *Zone) { z.Record.Stamps[0]++ }, testSignal + " TXT: signature by key"},
		{"SOA changed after signing", func(z *Zone) { z.SOA.Serial++ }, "SOA: signature by key"},
		{"signature by an unknown key", func(z *Zone) {
			z.DNSSEC.Keys = []*dnssec.Key{newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)}
		}, "does not verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			z := signZone(t, testZone(), testSignTime, k)
			c.mutate(&z)
			_, err := Compile(z)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrZone) {
				t.Fatalf("Compile: %v, want ErrZone mentioning %q", err, c.want)
			}
		})
	}
}

// TestRRsetsServed checks that RRsets lists exactly what the zone serves:
// every RRset answers its own query with the same records.
func TestRRsetsServed(t *testing.T) {
	z, _ := signedTestZone(t)
	s := mustCompile(t, z)
	sets, err := z.RRsets()
	if err != nil {
		t.Fatal(err)
	}
	for i, set := range sets {
		if i > 0 && !dnssec.CanonicalLess(sets[i-1].Name, set.Name) && (sets[i-1].Name != set.Name || sets[i-1].Type >= set.Type) {
			t.Errorf("RRsets out of canonical order at %s %s", set.Name, dns.TypeToString[set.Type])
		}
		_, m := ask(t, s, pack(t, newQuery(set.Name, set.Type)), true)
		if !slices.Equal(rrStrings(m.Answer), rrStrings(set.RRs)) {
			t.Errorf("%s %s: served %v, RRsets has %v", set.Name, dns.TypeToString[set.Type], m.Answer, set.RRs)
		}
	}
	if len(sets) != 11 {
		t.Errorf("%d RRsets, want 11 (SOA, NS, A, AAAA, 2 TXT, DNSKEY, 4 NSEC)", len(sets))
	}
}

func TestCanonicalKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	labels := []string{"a", "b", "ab", "a-", "_", "*", "0", `\000`, `\001`, `\002`, `a\000`, `\255`, "zz", "~"}
	var names []string
	for range 300 {
		n := testOrigin
		for range r.IntN(4) {
			n = labels[r.IntN(len(labels))] + "." + n
		}
		names = append(names, n)
	}
	for i := range names {
		for j := range names {
			a, b := mustWire(t, names[i]), mustWire(t, names[j])
			gotLess := bytes.Compare(canonicalKey(nil, a), canonicalKey(nil, b)) < 0
			if wantLess := dnssec.CanonicalLess(names[i], names[j]); gotLess != wantLess {
				t.Fatalf("%s < %s: keys say %v, CanonicalLess %v", names[i], names[j], gotLess, wantLess)
			}
		}
	}
}

func mustWire(t testing.TB, name string) []byte {
	t.Helper()
	w, err := nameWire(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}
