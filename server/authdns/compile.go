package authdns

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/miekg/dns"
)

// Snapshot is a compiled zone: every response it can give, packed. It is
// immutable, so the server shares it between goroutines without locks.
type Snapshot struct {
	origin   string
	serial   uint32
	ready    bool               // false: the placeholder served before the first Swap
	zoneWire []byte             // the origin in lowercase wire form
	names    map[string]*node   // by lowercase wire name: every name that exists
	nxDomain [numVariants]*wire // any name in the zone that does not exist
	fixed    *fixedWires        // responses that do not depend on the zone
}

// answerKey selects a positive answer at a name.
type answerKey struct {
	qtype uint16
	v     variant
}

// node holds the responses for one name that exists, with data or as an
// empty non-terminal.
type node struct {
	answers map[answerKey]*wire // positive answers
	noData  [numVariants]*wire  // any other type
}

// fixedWires are the responses that do not depend on zone content.
type fixedWires struct {
	formErr, notImp, refused, servFail [numVariants]*wire
	badVers                            *wire // EDNS only
}

// Origin returns the zone's name ("" before the first Swap).
func (s *Snapshot) Origin() string { return s.origin }

// Serial returns the SOA serial.
func (s *Snapshot) Serial() uint32 { return s.serial }

// Compile validates z and precomputes every response it can give.
func Compile(z Zone) (*Snapshot, error) {
	zd, err := z.normalize()
	if err != nil {
		return nil, err
	}
	fixed, err := newFixedWires()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{origin: zd.Origin, serial: zd.SOA.Serial, ready: true, fixed: fixed}
	if s.zoneWire, err = nameWire(zd.Origin); err != nil {
		return nil, fmt.Errorf("%w: Origin: %w", ErrZone, err)
	}
	if err := s.compileNames(zd); err != nil {
		return nil, err
	}
	s.nxDomain, err = template{qname: ".", rcode: dns.RcodeNameError, aa: true, ns: []dns.RR{zd.negativeSOA()}}.packAll()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// notReady returns the snapshot served before the first Swap: SERVFAIL
// for every well-formed query.
func notReady() (*Snapshot, error) {
	fixed, err := newFixedWires()
	if err != nil {
		return nil, err
	}
	return &Snapshot{fixed: fixed, names: map[string]*node{}}, nil
}

func newFixedWires() (*fixedWires, error) {
	f := &fixedWires{}
	for _, c := range []struct {
		dst   *[numVariants]*wire
		rcode int
	}{
		{&f.formErr, dns.RcodeFormatError},
		{&f.notImp, dns.RcodeNotImplemented},
		{&f.refused, dns.RcodeRefused},
		{&f.servFail, dns.RcodeServerFailure},
	} {
		var err error
		if *c.dst, err = (template{qname: ".", rcode: c.rcode}).packAll(); err != nil {
			return nil, err
		}
	}
	var err error
	f.badVers, err = template{qname: ".", rcode: dns.RcodeBadVers}.pack(variantEDNS)
	return f, err
}

// compileNames builds a node for every name that exists: owners of data
// and the empty non-terminals between them and the apex.
func (s *Snapshot) compileNames(zd zoneData) error {
	data := zd.rrsets()
	for name := range data {
		for _, anc := range ancestors(name, zd.Origin) {
			if data[anc] == nil {
				data[anc] = rrsets{}
			}
		}
	}
	s.names = make(map[string]*node, len(data))
	for name, sets := range data {
		n, err := compileNode(zd, name, sets)
		if err != nil {
			return err
		}
		key, err := nameWire(name)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrZone, name, err)
		}
		s.names[string(key)] = n
	}
	return nil
}

// compileNode precomputes the answers at one name.
func compileNode(zd zoneData, name string, sets rrsets) (*node, error) {
	n := &node{answers: make(map[answerKey]*wire, len(sets)*numVariants)}
	var err error
	noData := template{qname: name, aa: true, ns: []dns.RR{zd.negativeSOA()}}
	if n.noData, err = noData.packAll(); err != nil {
		return nil, err
	}
	for qtype, rrs := range sets {
		t := template{qname: name, qtype: qtype, aa: true, answer: rrs}
		if qtype == dns.TypeNS {
			t.extra = zd.glueRRs()
		}
		if err := n.add(qtype, t); err != nil {
			return nil, err
		}
	}
	if qtype, ok := sets.anyChoice(); ok {
		t := template{qname: name, qtype: dns.TypeANY, aa: true, answer: sets[qtype]}
		if err := n.add(dns.TypeANY, t); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// add precomputes t in every variant as the answer to qtype.
func (n *node) add(qtype uint16, t template) error {
	ws, err := t.packAll()
	if err != nil {
		return err
	}
	for v, w := range ws {
		n.answers[answerKey{qtype: qtype, v: variant(v)}] = w
	}
	return nil
}

// inZone reports whether the lowercase wire name is the origin or below it.
func (s *Snapshot) inZone(name []byte) bool {
	cut := len(name) - len(s.zoneWire)
	if cut < 0 || !bytes.Equal(name[cut:], s.zoneWire) {
		return false
	}
	off := 0
	for off < cut {
		off += int(name[off]) + 1
	}
	return off == cut
}

// ancestors returns the names strictly between name and origin.
func ancestors(name, origin string) []string {
	var out []string
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		parent := name[off:]
		if parent == origin || !dns.IsSubDomain(origin, parent) {
			break
		}
		out = append(out, parent)
	}
	return out
}

// nameWire returns the lowercase wire form of a presentation name.
func nameWire(name string) ([]byte, error) {
	buf := make([]byte, maxNameLen)
	n, err := dns.PackDomainName(name, buf, 0, nil, false)
	if err != nil {
		return nil, err
	}
	buf = slices.Clip(buf[:n])
	lowerInto(buf, buf)
	return buf, nil
}
