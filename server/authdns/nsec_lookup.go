package authdns

import (
	"bytes"
	"fmt"

	"github.com/miekg/dns"
)

// Finding the NSEC proofs of a name that does not exist, per query and
// without allocating. A name's place in the NSEC chain is found by binary
// search over canonical keys: byte strings whose bytes.Compare order is the
// canonical name order of RFC 4034 §6.1, so no comparison walks labels.

// Canonical key encoding: the labels from the rightmost, each followed by
// keyLabelEnd. Label bytes at or below keyEscape are escaped as keyEscape,
// byte+1, so that keyLabelEnd sorts below every label byte (a label sorts
// before the longer labels it is a prefix of) and the order of the escaped
// bytes is kept.
const (
	keyLabelEnd = 0x00
	keyEscape   = 0x01
	// maxLabels bounds the labels of a name: 255 bytes, at least two per
	// label but the root.
	maxLabels = maxNameLen / 2
	// maxKeyLen bounds a key: each name byte becomes at most two.
	maxKeyLen = 2 * maxNameLen
)

// canonicalKey appends the canonical key of name, a lowercase and
// uncompressed wire name, to dst.
func canonicalKey(dst, name []byte) []byte {
	var starts [maxLabels]uint8
	n := 0
	for off := 0; off < len(name) && name[off] != 0 && n < maxLabels; off += int(name[off]) + 1 {
		starts[n] = uint8(off)
		n++
	}
	for i := n - 1; i >= 0; i-- {
		off := int(starts[i])
		for _, c := range name[off+1 : off+1+int(name[off])] {
			if c <= keyEscape {
				dst = append(dst, keyEscape, c+1)
			} else {
				dst = append(dst, c)
			}
		}
		dst = append(dst, keyLabelEnd)
	}
	return dst
}

// nsecIndex holds the canonical keys of the NSEC owners, in chain order.
type nsecIndex struct {
	keys [][]byte
}

// newNSECIndex indexes chain, which must be in canonical order.
func newNSECIndex(chain []*dns.NSEC) (nsecIndex, error) {
	x := nsecIndex{keys: make([][]byte, len(chain))}
	for i, nsec := range chain {
		name, err := nameWire(nsec.Hdr.Name)
		if err != nil {
			return x, fmt.Errorf("%w: NSEC %s: %w", ErrZone, nsec.Hdr.Name, err)
		}
		x.keys[i] = canonicalKey(nil, name)
		if i > 0 && bytes.Compare(x.keys[i-1], x.keys[i]) >= 0 {
			return x, fmt.Errorf("%w: NSEC chain out of canonical order at %s", ErrZone, nsec.Hdr.Name)
		}
	}
	return x, nil
}

// find returns the index of the NSEC whose owner is the last at or before
// name (lowercase wire form) in canonical order: the NSEC at name, or the
// one that covers it. It is -1 only for a name before the apex, which is
// not in the zone.
func (x *nsecIndex) find(name []byte) int {
	var buf [maxKeyLen]byte
	key := canonicalKey(buf[:0], name)
	lo, hi := 0, len(x.keys) // keys[:lo] are at or before key, keys[hi:] after
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bytes.Compare(x.keys[mid], key) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// findName is find for a presentation name known to be valid and in the
// zone (compile time only).
func (x *nsecIndex) findName(name string) int {
	w, err := nameWire(name)
	if err != nil {
		return 0
	}
	return max(x.find(w), 0)
}

// denial holds the NXDOMAIN answers of a signed zone for DO queries. The
// proof of a name depends on the NSEC interval it falls in and on its
// closest encloser (whose wildcard must be denied too), so each interval
// has an answer per possible closest encloser (see compiler.denial).
type denial struct {
	index  nsecIndex
	proofs [][]proof // by the index of the NSEC that starts the interval
}

// proof is the NXDOMAIN answer for the names of one interval that have
// encloser as closest encloser.
type proof struct {
	encloser *node
	w        *wire
}

// signedNXDomain returns the NXDOMAIN answer with NSEC proofs for name, a
// lowercase wire name in the zone that does not exist. If no answer was
// precomputed for it — a bug, by compiler.denial's reasoning — it returns
// SERVFAIL rather than an answer a validator would reject.
func (s *Snapshot) signedNXDomain(name []byte, v variant) *wire {
	ce := s.closestEncloser(name)
	if i := s.denial.index.find(name); i >= 0 {
		for _, p := range s.denial.proofs[i] {
			if p.encloser == ce {
				return p.w
			}
		}
	}
	return s.fixed.servFail[v]
}

// closestEncloser returns the node of the longest proper ancestor of name
// that exists (RFC 4592 §3.3.1); the apex at worst, for a name in the zone.
func (s *Snapshot) closestEncloser(name []byte) *node {
	for off := 0; off < len(name) && name[off] != 0; {
		off += int(name[off]) + 1
		if n, ok := s.names[string(name[off:])]; ok {
			return n
		}
	}
	return nil
}
