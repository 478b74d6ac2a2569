package authdns

import (
	"encoding/binary"
	"errors"
)

// maxNameLen bounds a domain name in wire format (RFC 1035 §2.3.4).
const maxNameLen = 255

// Parse errors. Any of them makes the response a bare FORMERR.
var (
	errTruncated    = errors.New("message ends early")
	errLabel        = errors.New("bad label type")
	errNameTooLong  = errors.New("name longer than 255 bytes")
	errQuestions    = errors.New("more than one question")
	errOPTName      = errors.New("OPT owner is not the root")
	errOPTDuplicate = errors.New("more than one OPT")
)

// query is what the hot path needs from a request, read straight from the
// wire without building a dns.Msg.
type query struct {
	id       uint16
	flags    [2]byte // header bytes 2 and 3 as received
	qdcount  uint16
	ancount  uint16
	nscount  uint16
	question []byte // the question as received (name, type, class); nil if none

	lname   [maxNameLen]byte // the question name in wire form, ASCII-lowercased
	nameLen int
	qtype   uint16
	qclass  uint16

	edns        bool   // the query has an OPT record
	ednsVersion uint8  // its version
	udpSize     uint16 // its advertised payload size
	do          bool   // its DO bit
}

// isResponse reports whether msg has the QR bit set; msg has a full header.
func isResponse(msg []byte) bool { return msg[2]&flagQR != 0 }

func (q *query) opcode() byte { return q.flags[0] & opcodeMask >> 3 }

// name returns the lowercased question name in wire form.
func (q *query) name() []byte { return q.lname[:q.nameLen] }

// parseQuery reads the header, at most one question and the additional
// section's OPT from msg, which holds at least a header.
func parseQuery(msg []byte, q *query) error {
	q.id = binary.BigEndian.Uint16(msg)
	q.flags = [2]byte{msg[2], msg[3]}
	q.qdcount = binary.BigEndian.Uint16(msg[4:])
	q.ancount = binary.BigEndian.Uint16(msg[6:])
	q.nscount = binary.BigEndian.Uint16(msg[8:])
	arcount := binary.BigEndian.Uint16(msg[10:])
	if q.qdcount > 1 {
		return errQuestions
	}
	off := headerLen
	if q.qdcount == 1 {
		var err error
		if off, err = q.parseQuestion(msg); err != nil {
			return err
		}
	}
	off, err := skipRecords(msg, off, int(q.ancount)+int(q.nscount))
	if err != nil {
		return err
	}
	return q.parseAdditional(msg, off, int(arcount))
}

// parseQuestion reads the question at the start of msg's body. The name
// must not be compressed: there is nothing before it to point to.
func (q *query) parseQuestion(msg []byte) (int, error) {
	off := headerLen
	for {
		if off >= len(msg) {
			return 0, errTruncated
		}
		c := int(msg[off])
		if c&0xc0 != 0 {
			return 0, errLabel
		}
		if off-headerLen+c+1 > maxNameLen {
			return 0, errNameTooLong
		}
		if off+c+1 > len(msg) {
			return 0, errTruncated
		}
		lowerInto(q.lname[off-headerLen:], msg[off:off+c+1])
		off += c + 1
		if c == 0 {
			break
		}
	}
	q.nameLen = off - headerLen
	if off+4 > len(msg) {
		return 0, errTruncated
	}
	q.qtype = binary.BigEndian.Uint16(msg[off:])
	q.qclass = binary.BigEndian.Uint16(msg[off+2:])
	q.question = msg[headerLen : off+4]
	return off + 4, nil
}

// lowerInto copies src to dst, mapping ASCII A-Z to a-z (RFC 4343).
func lowerInto(dst, src []byte) {
	for i, c := range src {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// parseAdditional walks n records from off and reads the OPT among them.
// Other records (a TSIG, later) are skipped.
func (q *query) parseAdditional(msg []byte, off, n int) error {
	for range n {
		start := off
		var err error
		if off, err = skipName(msg, off); err != nil {
			return err
		}
		if off+10 > len(msg) {
			return errTruncated
		}
		rrtype := binary.BigEndian.Uint16(msg[off:])
		end := off + 10 + int(binary.BigEndian.Uint16(msg[off+8:]))
		if end > len(msg) {
			return errTruncated
		}
		if rrtype == typeOPT {
			if err := q.readOPT(msg[start:end], off-start); err != nil {
				return err
			}
		}
		off = end
	}
	return nil
}

// typeOPT is the OPT pseudo-RR type (RFC 6891).
const typeOPT = 41

// readOPT records the OPT rr whose fixed fields start at rr[nameEnd].
func (q *query) readOPT(rr []byte, nameEnd int) error {
	if nameEnd != 1 || rr[0] != 0 {
		return errOPTName
	}
	if q.edns {
		return errOPTDuplicate
	}
	q.edns = true
	q.udpSize = binary.BigEndian.Uint16(rr[optSizeOff:])
	q.ednsVersion = rr[optVersionOff]
	q.do = rr[optFlagsOff]&optDO != 0
	return nil
}

// skipRecords walks n resource records from off.
func skipRecords(msg []byte, off, n int) (int, error) {
	for range n {
		var err error
		if off, err = skipName(msg, off); err != nil {
			return 0, err
		}
		if off+10 > len(msg) {
			return 0, errTruncated
		}
		off += 10 + int(binary.BigEndian.Uint16(msg[off+8:]))
		if off > len(msg) {
			return 0, errTruncated
		}
	}
	return off, nil
}

// skipName returns the offset after the (possibly compressed) name at off.
func skipName(msg []byte, off int) (int, error) {
	for {
		if off >= len(msg) {
			return 0, errTruncated
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				return off + 1, nil
			}
			off += c + 1
		case 0xc0:
			if off+2 > len(msg) {
				return 0, errTruncated
			}
			return off + 2, nil
		default:
			return 0, errLabel
		}
	}
}
