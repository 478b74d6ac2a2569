package authdns

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// Compression of wires that answer any name (NXDOMAIN and its proofs).
// They are packed with the question "." and compressed within their body;
// the body's pointers then hold offsets that assume that question, and
// emit moves them by the length of the real one. Without this the SOA and
// NSEC owners of an NXDOMAIN proof go out uncompressed, and a DO answer
// that NSD fits in 512 bytes would be truncated.
const (
	// rootQuestionLen is the question "." IN type: root label, type, class.
	rootQuestionLen = 1 + 4
	// maxPointer is the largest offset a compression pointer can hold.
	maxPointer = 0x3fff
)

var errPointer = errors.New("compression pointer into the question")

// relocate adds delta to the offset of each pointer at ptrs in body.
func relocate(body []byte, ptrs []uint16, delta int) {
	for _, p := range ptrs {
		v := binary.BigEndian.Uint16(body[p:])
		binary.BigEndian.PutUint16(body[p:], v+uint16(delta))
	}
}

// pointerOffsets returns where the compression pointers of msg's records,
// which start at off, lie, as offsets from off. Each must point past the
// question. The names it reads are those miekg/dns compresses: owners and
// the RDATA names of the RFC 1035 types.
func pointerOffsets(msg []byte, off int) ([]uint16, error) {
	n := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) + int(binary.BigEndian.Uint16(msg[10:]))
	var ptrs []uint16
	body := off
	var err error
	for range n {
		if off, err = namePointers(msg, off, body, &ptrs); err != nil {
			return nil, err
		}
		if off+10 > len(msg) {
			return nil, errTruncated
		}
		rrtype := binary.BigEndian.Uint16(msg[off:])
		end := off + 10 + int(binary.BigEndian.Uint16(msg[off+8:]))
		if off, err = rdataPointers(msg, off+10, body, rrtype, &ptrs); err != nil {
			return nil, err
		}
		if off > end {
			return nil, errTruncated
		}
		off = end
	}
	return ptrs, nil
}

// rdataPointers reads the compressible names of an RDATA of type t at off.
func rdataPointers(msg []byte, off, body int, t uint16, ptrs *[]uint16) (int, error) {
	names := 0
	switch t {
	case dns.TypeSOA, dns.TypeMINFO:
		names = 2
	case dns.TypeNS, dns.TypeCNAME, dns.TypePTR, dns.TypeMB, dns.TypeMD, dns.TypeMF, dns.TypeMG, dns.TypeMR:
		names = 1
	case dns.TypeMX:
		off, names = off+2, 1
	}
	var err error
	for range names {
		if off, err = namePointers(msg, off, body, ptrs); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// namePointers records the pointer ending the name at off, if any, and
// returns the offset after the name.
func namePointers(msg []byte, off, body int, ptrs *[]uint16) (int, error) {
	for {
		if off >= len(msg) {
			return 0, errTruncated
		}
		c := int(msg[off])
		switch {
		case c == 0:
			return off + 1, nil
		case c&0xc0 == 0:
			off += c + 1
		case c&0xc0 == 0xc0 && off+2 <= len(msg):
			if target := int(binary.BigEndian.Uint16(msg[off:]) & maxPointer); target < body {
				return 0, fmt.Errorf("%w (offset %d)", errPointer, target)
			}
			*ptrs = append(*ptrs, uint16(off-body))
			return off + 2, nil
		default:
			return 0, errLabel
		}
	}
}
