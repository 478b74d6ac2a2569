package authdns

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/miekg/dns"
)

// DNS header layout (RFC 1035 §4.1.1): bytes 2 and 3 hold the flags.
const (
	headerLen  = 12
	flagQR     = 0x80 // byte 2
	opcodeMask = 0x78 // byte 2
	flagTC     = 0x02 // byte 2
	flagRD     = 0x01 // byte 2
	flagCD     = 0x10 // byte 3
)

// OPT pseudo-RR layout (RFC 6891 §6.1.2): root name, type, class = UDP
// size, TTL = extended rcode, version, flags; our OPT has empty RDATA.
const (
	optLen        = 11
	optSizeOff    = 3 // offset of the UDP size inside the OPT RR
	optFlagsOff   = 7 // offset of the high flag byte inside the OPT RR
	optDO         = 0x80
	optVersionOff = 6 // EDNS version
)

// variant selects one of the precomputed forms of a response.
type variant uint8

const (
	variantEDNS variant = 1 << iota // the query has OPT, so the response has OPT
	// variantDO: the query set the DO bit (it always comes with
	// variantEDNS), so a signed zone adds RRSIGs and NSEC proofs.
	variantDO
	numVariants = 4
)

// valid reports whether v can occur: DO only comes with EDNS.
func (v variant) valid() bool { return v&variantDO == 0 || v&variantEDNS != 0 }

// wire is one precomputed response, without its question: the query
// supplies that, byte for byte, which preserves its case. The body may hold
// compression pointers into the question name only when the wire answers
// one name, whose length is then fixed.
type wire struct {
	hdr     [headerLen]byte // ID 0, RD and CD clear, QDCOUNT 1
	body    []byte          // answer, authority and additional sections
	smaller []form          // tried in order when body does not fit
	tcHdr   [headerLen]byte // hdr with TC set and only the OPT counted
	tcBody  []byte          // the OPT alone, or nothing
	opt     bool            // body and tcBody end with our OPT record
}

// form is a smaller version of a wire's response: the same answer with
// less in the additional section.
type form struct {
	hdr  [headerLen]byte
	body []byte
}

// fit returns the fullest form of w whose body fits in room bytes: the
// whole response, then each smaller form, and the truncated one last.
func (w *wire) fit(room int) (*[headerLen]byte, []byte) {
	if len(w.body) <= room {
		return &w.hdr, w.body
	}
	for i := range w.smaller {
		if f := &w.smaller[i]; len(f.body) <= room {
			return &f.hdr, f.body
		}
	}
	return &w.tcHdr, w.tcBody
}

// template describes a response to precompute.
type template struct {
	qname  string // the name answered; "." for a wire that answers any name
	qtype  uint16
	rcode  int
	aa     bool
	answer []dns.RR
	ns     []dns.RR
	extra  []dns.RR
	// signed holds the DNSSEC records that only a DO query gets (RFC 4035
	// §3.1): the RRSIGs of each section's RRsets and the NSEC proofs.
	signed sections
}

// sections holds records by message section.
type sections struct {
	answer, ns, extra []dns.RR
}

// anyName reports whether the wire answers any question name, so its body
// must not point into the question.
func (t template) anyName() bool { return t.qname == "." }

// pack precomputes t in variant v.
func (t template) pack(v variant) (*wire, error) {
	hdr, body, err := t.packForm(v)
	if err != nil {
		return nil, err
	}
	w := &wire{hdr: hdr, body: body, opt: v&variantEDNS != 0}
	w.tcHdr = truncatedHeader(w.hdr, w.opt)
	if w.opt {
		w.tcBody = w.body[len(w.body)-optLen:]
	}
	for _, s := range t.smaller(v) {
		var f form
		if f.hdr, f.body, err = s.packForm(v); err != nil {
			return nil, err
		}
		w.smaller = append(w.smaller, f)
	}
	return w, nil
}

// smaller returns the reduced versions of t to fall back to, in order,
// before truncation. Only DO answers have them: RFC 4035 §3.1.1 lets the
// RRSIGs of the additional section go when they do not fit (without TC),
// and then we also drop the glue itself (optional in an authoritative NS
// answer, which is no referral) rather than truncate an answer whose
// answer and authority sections fit. Other answers keep the whole-or-TC
// behaviour (doc.go).
func (t template) smaller(v variant) []template {
	if v&variantDO == 0 || len(t.extra)+len(t.signed.extra) == 0 {
		return nil
	}
	var out []template
	if len(t.signed.extra) > 0 {
		t.signed.extra = nil
		out = append(out, t)
	}
	if len(t.extra) > 0 {
		t.extra = nil
		out = append(out, t)
	}
	return out
}

// packForm packs t in variant v and splits off the question.
func (t template) packForm(v variant) (hdr [headerLen]byte, body []byte, err error) {
	m := t.msg(v)
	b, err := m.Pack()
	if err != nil {
		return hdr, nil, fmt.Errorf("pack %s %s: %w", t.qname, dns.TypeToString[t.qtype], err)
	}
	if len(b) > maxMessageSize-maxNameLen {
		return hdr, nil, fmt.Errorf("%w: the answer for %s %s is %d bytes, too large even for TCP",
			ErrZone, t.qname, dns.TypeToString[t.qtype], len(b))
	}
	qEnd, err := skipName(b, headerLen)
	if err != nil {
		return hdr, nil, fmt.Errorf("pack %s: %w", t.qname, err)
	}
	copy(hdr[:], b[:headerLen])
	return hdr, b[qEnd+4:], nil
}

// msg builds the dns.Msg for t in variant v.
func (t template) msg(v variant) *dns.Msg {
	m := &dns.Msg{Compress: !t.anyName()}
	m.Response = true
	m.Authoritative = t.aa
	m.Rcode = t.rcode
	m.Question = []dns.Question{{Name: t.qname, Qtype: t.qtype, Qclass: dns.ClassINET}}
	m.Answer, m.Ns, m.Extra = t.answer, t.ns, slices.Clone(t.extra)
	if v&variantDO != 0 {
		m.Answer = slices.Concat(m.Answer, t.signed.answer)
		m.Ns = slices.Concat(m.Ns, t.signed.ns)
		m.Extra = slices.Concat(m.Extra, t.signed.extra)
	}
	if v&variantEDNS != 0 {
		opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		opt.SetUDPSize(DefaultMaxUDPSize)
		m.Extra = append(m.Extra, opt)
	}
	return m
}

// truncatedHeader returns h with TC set and no records but the OPT.
func truncatedHeader(h [headerLen]byte, opt bool) [headerLen]byte {
	h[2] |= flagTC
	binary.BigEndian.PutUint16(h[6:], 0)
	binary.BigEndian.PutUint16(h[8:], 0)
	binary.BigEndian.PutUint16(h[10:], 0)
	if opt {
		binary.BigEndian.PutUint16(h[10:], 1)
	}
	return h
}

// packAll precomputes t in every variant that can occur (nil for the
// others).
func (t template) packAll() ([numVariants]*wire, error) {
	var ws [numVariants]*wire
	for v := range variant(numVariants) {
		if !v.valid() {
			continue
		}
		w, err := t.pack(v)
		if err != nil {
			return ws, err
		}
		ws[v] = w
	}
	return ws, nil
}
