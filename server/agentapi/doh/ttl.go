package doh

import "encoding/binary"

const (
	typeOPT = 41
	// maxTTL is the largest TTL; a larger value means 0 (RFC 2181 §8).
	maxTTL = 1<<31 - 1
)

// minTTL returns the HTTP freshness lifetime of the DNS response msg
// (RFC 8484 §5.1): the smallest TTL among its records — answer, authority
// (the SOA of a negative answer, whose TTL is already min(TTL, MINIMUM),
// RFC 2308 §5) and additional — leaving out OPT, whose TTL field holds
// flags. A response without records, or one that does not parse, gets 0.
func minTTL(msg []byte) uint32 {
	if len(msg) < headerLen {
		return 0
	}
	off := headerLen
	for range binary.BigEndian.Uint16(msg[4:]) {
		if off = skipName(msg, off); off < 0 {
			return 0
		}
		off += 4 // type, class
	}
	n := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) + int(binary.BigEndian.Uint16(msg[10:]))
	least, found := uint32(maxTTL), false
	for range n {
		if off = skipName(msg, off); off < 0 || off+10 > len(msg) {
			return 0
		}
		typ := binary.BigEndian.Uint16(msg[off:])
		ttl := binary.BigEndian.Uint32(msg[off+4:])
		off += 10 + int(binary.BigEndian.Uint16(msg[off+8:]))
		if off > len(msg) {
			return 0
		}
		if typ == typeOPT {
			continue
		}
		if ttl > maxTTL {
			ttl = 0
		}
		least, found = min(least, ttl), true
	}
	if !found {
		return 0
	}
	return least
}

// skipName returns the offset after the domain name at off, or -1 when it
// runs past msg or uses a reserved label type. A compression pointer ends
// the name; where it points does not matter here.
func skipName(msg []byte, off int) int {
	for off < len(msg) {
		b := msg[off]
		switch {
		case b == 0:
			return off + 1
		case b&0xC0 == 0xC0:
			if off+2 > len(msg) {
				return -1
			}
			return off + 2
		case b&0xC0 != 0:
			return -1
		}
		off += 1 + int(b)
	}
	return -1
}
