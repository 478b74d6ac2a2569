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
// one name, whose length is then fixed. A wire that answers any name
// (NXDOMAIN) is compressed within its body only, and its pointers, listed
// in ptrs, are moved by the length of the actual question when emitted.
type wire struct {
	hdr     [headerLen]byte // ID 0, RD and CD clear, QDCOUNT 1
	body    []byte          // answer, authority and additional sections
	ptrs    []uint16        // offsets in body of pointers to relocate
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
	ptrs []uint16
}

// fit returns the fullest form of w whose body fits in room bytes: the
// whole response, then each smaller form, and the truncated one last
// (which holds no names).
func (w *wire) fit(room int) (*[headerLen]byte, []byte, []uint16) {
	if len(w.body) <= room {
		return &w.hdr, w.body, w.ptrs
	}
	for i := range w.smaller {
		if f := &w.smaller[i]; len(f.body) <= room {
			return &f.hdr, f.body, f.ptrs
		}
	}
	return &w.tcHdr, w.tcBody, nil
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
	f, err := t.packForm(v)
	if err != nil {
		return nil, err
	}
	w := &wire{hdr: f.hdr, body: f.body, ptrs: f.ptrs, opt: v&variantEDNS != 0}
	w.tcHdr = truncatedHeader(w.hdr, w.opt)
	if w.opt {
		w.tcBody = w.body[len(w.body)-optLen:]
	}
	for _, s := range t.smaller(v) {
		f, err := s.packForm(v)
		if err != nil {
			return nil, err
		}
		w.smaller = append(w.smaller, f)
	}
	return w, nil
}

// smaller returns the reduced versions of t to fall back to, in order,
// before truncation: RFC 4035 §3.1.1 lets the RRSIGs of the additional
// section go when they do not fit (without TC), and then we also drop the
// glue itself (optional in an authoritative NS answer, which is no
// referral, as NSD does) rather than truncate an answer whose answer and
// authority sections fit.
func (t template) smaller(v variant) []template {
	if len(t.extra) == 0 && (v&variantDO == 0 || len(t.signed.extra) == 0) {
		return nil
	}
	var out []template
	if v&variantDO != 0 && len(t.signed.extra) > 0 {
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
func (t template) packForm(v variant) (form, error) {
	var f form
	b, err := t.msg(v, true).Pack()
	if err == nil && t.anyName() && len(b) > maxPointer-maxNameLen {
		b, err = t.msg(v, false).Pack() // pointers could not be moved past the question
	}
	if err != nil {
		return f, fmt.Errorf("pack %s %s: %w", t.qname, dns.TypeToString[t.qtype], err)
	}
	if len(b) > maxMessageSize-maxNameLen {
		return f, fmt.Errorf("%w: the answer for %s %s is %d bytes, too large even for TCP",
			ErrZone, t.qname, dns.TypeToString[t.qtype], len(b))
	}
	qEnd, err := skipName(b, headerLen)
	if err != nil {
		return f, fmt.Errorf("pack %s: %w", t.qname, err)
	}
	copy(f.hdr[:], b[:headerLen])
	f.body = b[qEnd+4:]
	if t.anyName() {
		if f.ptrs, err = pointerOffsets(b, qEnd+4); err != nil {
			return f, fmt.Errorf("pack %s %s: %w", t.qname, dns.TypeToString[t.qtype], err)
		}
	}
	return f, nil
}

// msg builds the dns.Msg for t in variant v.
func (t template) msg(v variant, compress bool) *dns.Msg {
	m := &dns.Msg{Compress: compress}
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
