package authdns

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// respond appends to dst the response to msg and returns it, or returns nil
// when msg gets no response at all. udpMax is the UDP payload cap and the
// size we advertise; tcp lifts the cap. It is the whole per-query path:
// parse, choose a precomputed wire, copy and patch.
func (s *Snapshot) respond(dst, msg []byte, udpMax int, tcp bool) []byte {
	// Too short to answer, or a response: never answer those (a response
	// to a response can loop between two servers). NSD and miekg drop them too.
	if len(msg) < headerLen || isResponse(msg) {
		return nil
	}
	var q query
	if err := parseQuery(msg, &q); err != nil {
		return formErr(dst, msg)
	}
	w := s.choose(&q)
	limit := maxMessageSize
	if !tcp {
		limit = q.udpLimit(udpMax)
	}
	return q.emit(dst, w, limit, udpMax)
}

// choose returns the wire that answers q, by the checks of RFC 1035, 6891
// and 8482 in order.
func (s *Snapshot) choose(q *query) *wire {
	v := q.variant()
	switch {
	case q.opcode() == dns.OpcodeNotify:
		// We are the primary: a NOTIFY is never acted on (notify_in.go).
		return s.fixed.refused[v]
	case q.opcode() != dns.OpcodeQuery:
		// UPDATE included: signald takes publishes through its admin API.
		return s.fixed.notImp[v]
	case q.qdcount != 1 || q.ancount != 0 || q.nscount != 0:
		return s.fixed.formErr[v]
	case q.edns && q.ednsVersion != 0:
		return s.fixed.badVers
	case !s.ready:
		return s.fixed.servFail[v]
	case q.qclass != dns.ClassINET:
		// CH, HS, NONE and ANY: we hold no data for another class and the
		// query itself is implemented, so REFUSED (as NSD), not NOTIMP.
		return s.fixed.refused[v]
	case q.qtype == dns.TypeAXFR || q.qtype == dns.TypeIXFR:
		// Transfers reach here only over UDP (TCP takes the slow path in
		// tcp.go): AXFR and IXFR are TCP-only (transfer.go).
		return s.fixed.refused[v]
	}
	return s.lookup(q, v)
}

// lookup answers an IN query of a single question.
func (s *Snapshot) lookup(q *query, v variant) *wire {
	name := q.name()
	n, ok := s.names[string(name)]
	if !ok {
		if !s.inZone(name) {
			return s.fixed.refused[v]
		}
		if v&variantDO != 0 && s.denial != nil {
			return s.signedNXDomain(name, v)
		}
		return s.nxDomain[v]
	}
	if w := n.answers[answerKey{qtype: q.qtype, v: v}]; w != nil {
		return w
	}
	return n.noData[v]
}

// variant returns the precomputed form q needs.
func (q *query) variant() variant {
	switch {
	case !q.edns:
		return 0
	case q.do:
		return variantEDNS | variantDO
	}
	return variantEDNS
}

// udpLimit returns the largest UDP response q accepts: its EDNS size
// (at least 512) capped at ours, or 512 without EDNS (RFC 6891 §6.2.5).
func (q *query) udpLimit(udpMax int) int {
	if !q.edns {
		return minUDPSize
	}
	return min(max(int(q.udpSize), minUDPSize), udpMax)
}

// emit appends w to dst, with q's ID, opcode, RD and CD bits and question:
// the fullest form of w that fits in limit (see wire.fit), down to the
// truncated one.
func (q *query) emit(dst []byte, w *wire, limit, udpMax int) []byte {
	hdr, body, ptrs := w.fit(limit - headerLen - len(q.question))
	start := len(dst)
	dst = append(dst, hdr[:]...)
	h := dst[start:]
	binary.BigEndian.PutUint16(h, q.id)
	h[2] |= q.flags[0] & (opcodeMask | flagRD)
	h[3] |= q.flags[1] & flagCD
	if q.question == nil {
		binary.BigEndian.PutUint16(h[4:], 0)
	}
	dst = append(dst, q.question...)
	dst = append(dst, body...)
	relocate(dst[len(dst)-len(body):], ptrs, len(q.question)-rootQuestionLen)
	if w.opt {
		patchOPT(dst[len(dst)-optLen:], udpMax, q.do)
	}
	return dst
}

// patchOPT writes our UDP size and the query's DO bit (RFC 3225 §3) into
// the OPT record opt.
func patchOPT(opt []byte, udpMax int, do bool) {
	binary.BigEndian.PutUint16(opt[optSizeOff:], uint16(udpMax))
	if do {
		opt[optFlagsOff] |= optDO
	}
}
