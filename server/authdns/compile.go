package authdns

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Snapshot is a compiled zone: every response it can give, packed. It is
// immutable, so the server shares it between goroutines without locks.
type Snapshot struct {
	origin    string
	serial    uint32
	ready     bool               // false: the placeholder served before the first Swap
	zoneWire  []byte             // the origin in lowercase wire form
	names     map[string]*node   // by lowercase wire name: every name that exists
	nxDomain  [numVariants]*wire // any name in the zone that does not exist
	denial    *denial            // signed zones: NXDOMAIN with NSEC proofs for DO
	fixed     *fixedWires        // responses that do not depend on the zone
	zoneRRs   []dns.RR           // the whole zone, in the order of Records
	sigExpiry time.Time          // see SignatureExpiry
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

// Compile validates z and precomputes every response it can give. For a
// signed zone (z.DNSSEC set) every RRset that z.RRsets returns must carry
// signatures that verify with z.DNSSEC.Keys, or Compile fails with ErrZone.
func Compile(z Zone) (*Snapshot, error) {
	zd, err := z.normalize()
	if err != nil {
		return nil, err
	}
	c := zd.content()
	if err := zd.checkSigs(c); err != nil {
		return nil, err
	}
	fixed, err := newFixedWires()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{origin: zd.Origin, serial: zd.SOA.Serial, ready: true, fixed: fixed,
		zoneRRs: zd.records(c), sigExpiry: zd.sigExpiry(c)}
	if s.zoneWire, err = nameWire(zd.Origin); err != nil {
		return nil, fmt.Errorf("%w: Origin: %w", ErrZone, err)
	}
	cp, err := newCompiler(zd, c)
	if err != nil {
		return nil, err
	}
	if err := s.compileNames(cp); err != nil {
		return nil, err
	}
	if s.nxDomain, err = cp.nxDomain().packAll(); err != nil {
		return nil, err
	}
	if zd.DNSSEC != nil {
		s.denial, err = cp.denial(s.names)
	}
	return s, err
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

// compiler turns a zone's content into wires.
type compiler struct {
	zd    zoneData
	c     content
	index nsecIndex // the NSEC owners of a signed zone, in canonical order
}

func newCompiler(zd zoneData, c content) (*compiler, error) {
	idx, err := newNSECIndex(c.chain)
	if err != nil {
		return nil, err
	}
	return &compiler{zd: zd, c: c, index: idx}, nil
}

// compileNames builds a node for every name that exists: owners of data
// and the empty non-terminals between them and the apex.
func (s *Snapshot) compileNames(cp *compiler) error {
	data := maps.Clone(cp.c.data)
	for name := range cp.c.data {
		for _, anc := range ancestors(name, cp.zd.Origin) {
			if data[anc] == nil {
				data[anc] = rrsets{}
			}
		}
	}
	s.names = make(map[string]*node, len(data))
	for name, sets := range data {
		n, err := cp.node(name, sets)
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

// node precomputes the answers at one name.
func (cp *compiler) node(name string, sets rrsets) (*node, error) {
	n := &node{answers: make(map[answerKey]*wire, (len(sets)+2)*numVariants)}
	var err error
	if n.noData, err = cp.noData(name, sets).packAll(); err != nil {
		return nil, err
	}
	for qtype, rrs := range sets {
		if err := n.add(qtype, cp.positive(name, qtype, rrs)); err != nil {
			return nil, err
		}
	}
	if qtype, ok := sets.anyChoice(); ok {
		if err := n.add(dns.TypeANY, cp.positive(name, dns.TypeANY, sets[qtype])); err != nil {
			return nil, err
		}
	}
	if t, ok := cp.rrsigAnswer(name, sets); ok {
		if err := n.add(dns.TypeRRSIG, t); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// positive returns the answer to qtype at name with rrs: glue in the
// additional section of an NS answer, and the RRSIGs of both for DO.
func (cp *compiler) positive(name string, qtype uint16, rrs []dns.RR) template {
	t := template{qname: name, qtype: qtype, aa: true, answer: rrs}
	if qtype == dns.TypeNS {
		t.extra = cp.zd.glueRRs()
	}
	t.signed = sections{answer: cp.zd.sigsFor(t.answer), extra: cp.zd.sigsFor(t.extra)}
	return t
}

// add precomputes t in every variant as the answer to qtype.
func (n *node) add(qtype uint16, t template) error {
	ws, err := t.packAll()
	if err != nil {
		return err
	}
	for v, w := range ws {
		if w == nil {
			continue
		}
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
