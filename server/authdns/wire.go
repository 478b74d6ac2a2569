package authdns

import (
	"encoding/binary"
	"fmt"

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

// variant selects one of the precomputed forms of a response. Later issues
// add a DO bit here for the answers that carry RRSIGs.
type variant uint8

const (
	variantEDNS variant = 1 << iota // the query has OPT, so the response has OPT
	numVariants         = 2
)

// wire is one precomputed response, without its question: the query
// supplies that, byte for byte, which preserves its case. The body may hold
// compression pointers into the question name only when the wire answers
// one name, whose length is then fixed.
type wire struct {
	hdr    [headerLen]byte // ID 0, RD and CD clear, QDCOUNT 1
	body   []byte          // answer, authority and additional sections
	tcHdr  [headerLen]byte // hdr with TC set and only the OPT counted
	tcBody []byte          // the OPT alone, or nothing
	opt    bool            // body and tcBody end with our OPT record
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
}

// anyName reports whether the wire answers any question name, so its body
// must not point into the question.
func (t template) anyName() bool { return t.qname == "." }

// pack precomputes t in variant v.
func (t template) pack(v variant) (*wire, error) {
	m := t.msg(v)
	b, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack %s %s: %w", t.qname, dns.TypeToString[t.qtype], err)
	}
	if len(b) > maxMessageSize-maxNameLen {
		return nil, fmt.Errorf("%w: the answer for %s %s is %d bytes, too large even for TCP",
			ErrZone, t.qname, dns.TypeToString[t.qtype], len(b))
	}
	qEnd, err := skipName(b, headerLen)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", t.qname, err)
	}
	w := &wire{body: b[qEnd+4:], opt: v&variantEDNS != 0}
	copy(w.hdr[:], b[:headerLen])
	w.tcHdr = truncatedHeader(w.hdr, w.opt)
	if w.opt {
		w.tcBody = w.body[len(w.body)-optLen:]
	}
	return w, nil
}

// msg builds the dns.Msg for t in variant v.
func (t template) msg(v variant) *dns.Msg {
	m := &dns.Msg{Compress: !t.anyName()}
	m.Response = true
	m.Authoritative = t.aa
	m.Rcode = t.rcode
	m.Question = []dns.Question{{Name: t.qname, Qtype: t.qtype, Qclass: dns.ClassINET}}
	m.Answer = t.answer
	m.Ns = t.ns
	m.Extra = append([]dns.RR(nil), t.extra...)
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

// packAll precomputes t in every variant.
func (t template) packAll() ([numVariants]*wire, error) {
	var ws [numVariants]*wire
	for v := range variant(numVariants) {
		w, err := t.pack(v)
		if err != nil {
			return ws, err
		}
		ws[v] = w
	}
	return ws, nil
}
