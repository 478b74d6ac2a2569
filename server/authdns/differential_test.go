package authdns

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// diffZone has every shape of name the server answers for: the signal
// below an empty non-terminal (sig.), name servers inside the zone with
// glue (one below another empty non-terminal, ns.) and one outside.
func diffZone() Zone {
	z := testZone()
	z.SignalName = "current.sig." + testOrigin
	z.NS = []NameServer{
		{Name: testNS1, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
		{Name: "a.ns." + testOrigin, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}},
		{Name: testNS2},
	}
	return z
}

// diffNames are the query names of the battery.
var diffNames = []string{
	testOrigin,                         // apex
	"current.sig." + testOrigin,        // the signal (and manyNSZone: NXDOMAIN)
	"_trees.current.sig." + testOrigin, // the layout
	testSignal,                         // manyNSZone's signal; NXDOMAIN in diffZone
	testNS1,                            // glue
	"a.ns." + testOrigin,               // glue below an empty non-terminal
	"ns05." + testOrigin,               // manyNSZone glue
	"sig." + testOrigin,                // empty non-terminal
	"ns." + testOrigin,                 // empty non-terminal
	"nope." + testOrigin,               // nonexistent
	"x.current.sig." + testOrigin,      // below an existing name
	"b.a.ns." + testOrigin,             // below a name server's name
	"example.org.",                     // outside the zone
}

var diffTypes = []uint16{
	dns.TypeSOA, dns.TypeNS, dns.TypeTXT, dns.TypeA, dns.TypeAAAA, dns.TypeDNSKEY,
	dns.TypeNSEC, dns.TypeRRSIG, dns.TypeMX, dns.TypeANY, dns.TypeCNAME,
}

// diffEDNS are the EDNS forms of the battery: none, or a size with DO off
// or on.
var diffEDNS = []struct {
	size uint16 // 0: no EDNS
	do   bool
}{{0, false}, {512, false}, {512, true}, {1232, false}, {1232, true}, {4096, false}, {4096, true}}

// TestDifferentialNSD sends the battery to this server and to NSD serving
// the same records (from Snapshot.Records, RRL off) and requires the same
// rcode, flags and sections, after normalising what the RFCs leave open
// (see normalise). Over UDP, and over TCP for what was truncated.
func TestDifferentialNSD(t *testing.T) {
	k := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	zones := []struct {
		name string
		zone Zone
	}{
		{"unsigned", diffZone()},
		{"signed", signZone(t, diffZone(), time.Now(), k)},
		{"many-ns", manyNSZone(20)},
		{"many-ns-signed", signZone(t, manyNSZone(20), time.Now(), k)},
	}
	for _, z := range zones {
		t.Run(z.name, func(t *testing.T) {
			t.Parallel()
			snap := mustCompile(t, z.zone)
			ours := startServer(t, Config{}, snap)
			nsd := dnsharness.NSD(t, dnsharness.Zone{Name: testOrigin, ZoneText: zoneText(snap)}, dnsharness.Options{NoRRL: true})
			runBattery(t, ours.udp, nsd.Addr)
		})
	}
}

// zoneText writes snap's records as a zone file.
func zoneText(s *Snapshot) string {
	var b strings.Builder
	for _, rr := range s.Records() {
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// runBattery asks both servers every question and reports the differences.
func runBattery(t *testing.T, ours, theirs string) {
	var diffs []string
	asked := 0
	for _, name := range diffNames {
		for _, qname := range []string{name, mixCase(name)} {
			for _, qtype := range diffTypes {
				for _, e := range diffEDNS {
					q := newQuery(qname, qtype)
					if e.size != 0 {
						q.SetEdns0(e.size, e.do)
					}
					asked++
					for _, d := range compareServers(t, q, ours, theirs) {
						diffs = append(diffs, fmt.Sprintf("%s %s edns=%d do=%v: %s", qname, dns.TypeToString[qtype], e.size, e.do, d))
					}
				}
			}
		}
	}
	t.Logf("%d questions asked over UDP (and TCP when truncated)", asked)
	for _, d := range diffs {
		t.Error(d)
	}
}

// mixCase alternates the case of name's letters (0x20).
func mixCase(name string) string {
	b := []byte(name)
	for i, c := range b {
		if i%2 == 0 && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// compareServers asks q over UDP, and over TCP when either answer is
// truncated, and returns the differences.
func compareServers(t *testing.T, q *dns.Msg, ours, theirs string) []string {
	var diffs []string
	for _, network := range []string{"udp", "tcp"} {
		a, b := exchangeWith(t, network, q, ours), exchangeWith(t, network, q, theirs)
		for _, d := range compareMsgs(q, a, b) {
			diffs = append(diffs, network+": "+d)
		}
		if !a.Truncated && !b.Truncated {
			break
		}
	}
	return diffs
}

func exchangeWith(t *testing.T, network string, q *dns.Msg, addr string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second, UDPSize: 65535}
	for try := 0; ; try++ {
		r, _, err := c.Exchange(q.Copy(), addr)
		if err == nil {
			return r
		}
		if try == 2 {
			t.Fatalf("%s %s to %s: %v", network, q.Question[0].String(), addr, err)
		}
	}
}

// compareMsgs returns how a (ours) and b (NSD) differ after normalising.
func compareMsgs(q, a, b *dns.Msg) []string {
	var diffs []string
	if a.Rcode != b.Rcode {
		diffs = append(diffs, fmt.Sprintf("rcode %s, NSD %s", dns.RcodeToString[a.Rcode], dns.RcodeToString[b.Rcode]))
	}
	if fa, fb := flags(a), flags(b); fa != fb {
		diffs = append(diffs, fmt.Sprintf("flags %s, NSD %s", fa, fb))
	}
	if !slices.Equal(a.Question, b.Question) {
		diffs = append(diffs, fmt.Sprintf("question %v, NSD %v", a.Question, b.Question))
	}
	if oa, ob := optString(a), optString(b); oa != ob {
		diffs = append(diffs, fmt.Sprintf("OPT %s, NSD %s", oa, ob))
	}
	if len(diffs) > 0 || a.Truncated {
		return diffs // a truncated answer's sections are open (RFC 2181 §9)
	}
	na, nb := normalise(q, a), normalise(q, b)
	for _, s := range []struct {
		name   string
		ea, eb []string
	}{{"answer", na.answer, nb.answer}, {"authority", na.ns, nb.ns}, {"additional", na.extra, nb.extra}} {
		if s.name == "answer" && q.Question[0].Qtype == dns.TypeANY && a.Rcode == dns.RcodeSuccess {
			if !subset(s.ea, s.eb) || (len(s.ea) == 0) != (len(s.eb) == 0) {
				diffs = append(diffs, fmt.Sprintf("ANY answer %q is not part of NSD's %q", s.ea, s.eb))
			}
			continue
		}
		if s.name == "additional" && q.Question[0].Qtype == dns.TypeNS && !slices.Equal(s.ea, s.eb) {
			if !onlyGlue(a) || !onlyGlue(b) {
				diffs = append(diffs, fmt.Sprintf("additional is not glue of the NS targets\n  ours %q\n  NSD  %q", s.ea, s.eb))
			}
			continue
		}
		if !slices.Equal(s.ea, s.eb) {
			diffs = append(diffs, fmt.Sprintf("%s\n  ours %q\n  NSD  %q", s.name, s.ea, s.eb))
		}
	}
	return diffs
}

// onlyGlue reports whether m's additional section holds nothing but OPT
// and addresses of the NS targets in its answer, with their RRSIGs.
func onlyGlue(m *dns.Msg) bool {
	targets := map[string]bool{}
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok {
			targets[strings.ToLower(ns.Ns)] = true
		}
	}
	for _, rr := range m.Extra {
		addr := isType(rr, dns.TypeA) || isType(rr, dns.TypeAAAA)
		if rr.Header().Rrtype != dns.TypeOPT && (!addr || !targets[strings.ToLower(rr.Header().Name)]) {
			return false
		}
	}
	return true
}

// flags returns the header bits compared.
func flags(m *dns.Msg) string {
	var f []string
	for _, b := range []struct {
		name string
		set  bool
	}{{"qr", m.Response}, {"aa", m.Authoritative}, {"tc", m.Truncated}, {"rd", m.RecursionDesired},
		{"ra", m.RecursionAvailable}, {"ad", m.AuthenticatedData}, {"cd", m.CheckingDisabled}} {
		if b.set {
			f = append(f, b.name)
		}
	}
	return strings.Join(f, " ")
}

// optString describes m's OPT without its UDP size, which each server
// chooses (RFC 6891 §6.2.3).
func optString(m *dns.Msg) string {
	opt := m.IsEdns0()
	if opt == nil {
		return "none"
	}
	var codes []uint16
	for _, o := range opt.Option {
		if o.Option() != dns.EDNS0EDE { // optional (RFC 8914); NSD 4.6 sends one with REFUSED
			codes = append(codes, o.Option())
		}
	}
	return fmt.Sprintf("version %d do %v options %v", opt.Version(), opt.Do(), codes)
}

// sectionSets are a response's sections as sorted record strings.
type sectionSets struct{ answer, ns, extra []string }

// normalise returns m's sections as sorted sets of records, without what
// the RFCs leave to the server:
//   - the case of names in the authority and additional sections: NSD
//     compresses them against the question, so they take its case; we
//     compress against the question only in the answer section (names
//     compare without case, RFC 4343 §3);
//   - the apex NS RRset in the authority section of a positive answer, and
//     its RRSIGs (RFC 2181 §6.1 lets an authoritative answer carry it; we
//     answer minimally, as NSD's minimal-responses does);
//   - address records (and their RRSIGs) in the additional section for
//     names other than the NS targets of an answer to qtype NS: additional
//     data is optional (RFC 1034 §4.3.2 step 6; RFC 9471 requires the glue
//     of a referral only, and we give none);
//   - in an answer to qtype NS, how much of the glue and its RRSIGs comes
//     along when not all of it fits (RFC 4035 §3.1.1): NSD adds whole
//     RRsets while there is room, we add all the glue or none; each side
//     must still carry only glue of the NS targets (extraOK).
//
// TTLs are compared as they are: an authoritative server does not
// decrement them.
func normalise(q, m *dns.Msg) sectionSets {
	nsTargets := map[string]bool{}
	if q.Question[0].Qtype == dns.TypeNS {
		for _, rr := range m.Answer {
			if ns, ok := rr.(*dns.NS); ok {
				nsTargets[strings.ToLower(ns.Ns)] = true
			}
		}
	}
	positive := len(m.Answer) > 0
	var s sectionSets
	s.answer = rrSet(m.Answer, nil)
	s.ns = lower(rrSet(m.Ns, func(rr dns.RR) bool { return positive && isType(rr, dns.TypeNS) }))
	s.extra = lower(rrSet(m.Extra, func(rr dns.RR) bool {
		return (isType(rr, dns.TypeA) || isType(rr, dns.TypeAAAA)) && !nsTargets[strings.ToLower(rr.Header().Name)]
	}))
	return s
}

// lower lowercases records that hold only names and numbers (not TXT).
func lower(rrs []string) []string {
	for i, s := range rrs {
		if !strings.Contains(s, "\tTXT\t") {
			rrs[i] = strings.ToLower(s)
		}
	}
	sort.Strings(rrs)
	return rrs
}

// isType reports whether rr is of type t, or an RRSIG covering t.
func isType(rr dns.RR, t uint16) bool {
	if sig, ok := rr.(*dns.RRSIG); ok {
		return sig.TypeCovered == t
	}
	return rr.Header().Rrtype == t
}

// rrSet returns rrs, but the OPT and those drop says, as sorted strings.
func rrSet(rrs []dns.RR, drop func(dns.RR) bool) []string {
	out := []string{}
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT || (drop != nil && drop(rr)) {
			continue
		}
		out = append(out, rr.String())
	}
	sort.Strings(out)
	return out
}

func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
