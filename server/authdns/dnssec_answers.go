package authdns

import (
	"fmt"
	"maps"
	"slices"

	"github.com/miekg/dns"
)

// The negative answers and their DNSSEC proofs (RFC 4035 §3.1.3). The
// positive answers add only RRSIGs (compiler.positive). Every wire here is
// packed once per zone change; nothing is signed or built per query.

// noData returns the NODATA answer at name: the SOA, and for DO its RRSIG
// and the NSEC that proves the type absent — the NSEC at name, or for an
// empty non-terminal, which owns no NSEC, the NSEC that covers it, whose
// next name lies below it (RFC 4035 §3.1.3.2).
func (cp *compiler) noData(name string, sets rrsets) template {
	t := template{qname: name, aa: true, ns: []dns.RR{cp.zd.negativeSOA()}}
	if cp.zd.DNSSEC == nil {
		return t
	}
	nsec := sets[dns.TypeNSEC]
	if len(nsec) == 0 {
		nsec = []dns.RR{cp.c.chain[cp.index.findName(name)]}
	}
	t.signed.ns = slices.Concat(cp.zd.sigsFor(t.ns), nsec, cp.zd.sigsFor(nsec))
	return t
}

// nxDomain returns the NXDOMAIN answer to any name, without proofs: what
// an unsigned zone, or a query without DO, gets.
func (cp *compiler) nxDomain() template {
	return template{qname: ".", rcode: dns.RcodeNameError, aa: true, ns: []dns.RR{cp.zd.negativeSOA()}}
}

// nxDomainProof returns the NXDOMAIN answer for DO queries of a name that
// NSEC i covers and whose wildcard (at its closest encloser) NSEC w
// covers: SOA and RRSIG, then each NSEC once with its RRSIG (RFC 4035
// §3.1.3.2). It answers any such name, so it must not compress against the
// question (qname ".").
func (cp *compiler) nxDomainProof(i, w int) template {
	t := cp.nxDomain()
	proof := []dns.RR{cp.c.chain[i]}
	if w != i {
		proof = append(proof, cp.c.chain[w])
	}
	t.signed.ns = cp.zd.sigsFor(t.ns)
	for _, nsec := range proof {
		t.signed.ns = append(t.signed.ns, nsec)
		t.signed.ns = append(t.signed.ns, cp.zd.sigsFor([]dns.RR{nsec})...)
	}
	return t
}

// rrsigAnswer returns the answer to qtype RRSIG at a name with data in a
// signed zone: every RRSIG at the name, by type covered, as BIND answers
// (RFC 4035 leaves it open; the RRSIGs are signatures, not an RRset, so
// the answer carries no signatures of its own). Names without data get
// NODATA.
func (cp *compiler) rrsigAnswer(name string, sets rrsets) (template, bool) {
	if cp.zd.DNSSEC == nil || len(sets) == 0 {
		return template{}, false
	}
	types := slices.Sorted(maps.Keys(sets))
	var first []dns.RR // one record of each RRset, for sigsFor
	for _, t := range types {
		first = append(first, sets[t][0])
	}
	return template{qname: name, qtype: dns.TypeRRSIG, aa: true, answer: cp.zd.sigsFor(first)}, true
}

// denial precomputes the NXDOMAIN answers for DO queries: for each NSEC
// interval, one per name that can be the closest encloser of a name in it.
// That is an ancestor (or self) of the interval's owner or of its next
// name: an existing name between the two would own an NSEC in between, and
// an empty non-terminal there is an ancestor of the next name. Answers
// with the same pair of NSEC records share one wire.
func (cp *compiler) denial(names map[string]*node) (*denial, error) {
	d := &denial{index: cp.index, proofs: make([][]proof, len(cp.c.chain))}
	shared := map[[2]int]*wire{} // by the indexes of the two NSEC records
	for i, nsec := range cp.c.chain {
		for _, ce := range cp.enclosers(nsec) {
			w, ok := cp.wildcardCover(ce)
			if !ok {
				continue // no name fits below ce, so none has it as encloser
			}
			key, err := nameWire(ce)
			if err != nil || names[string(key)] == nil {
				return nil, fmt.Errorf("%w: closest encloser %s is not a name of the zone", ErrZone, ce)
			}
			if shared[[2]int{i, w}] == nil {
				if shared[[2]int{i, w}], err = cp.nxDomainProof(i, w).pack(variantEDNS | variantDO); err != nil {
					return nil, err
				}
			}
			d.proofs[i] = append(d.proofs[i], proof{encloser: names[string(key)], w: shared[[2]int{i, w}]})
		}
	}
	return d, nil
}

// enclosers returns the possible closest enclosers of the names NSEC
// record nsec covers, without repeats.
func (cp *compiler) enclosers(nsec *dns.NSEC) []string {
	var out []string
	for _, n := range []string{nsec.Hdr.Name, nsec.NextDomain} {
		for _, a := range append([]string{n}, ancestors(n, cp.zd.Origin)...) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	if !slices.Contains(out, cp.zd.Origin) {
		out = append(out, cp.zd.Origin)
	}
	return out
}

// wildcardCover returns the index of the NSEC that covers the wildcard
// *.ce, the source of synthesis that an NXDOMAIN must deny (RFC 4035
// §3.1.3.2); false when *.ce is too long to be a name.
func (cp *compiler) wildcardCover(ce string) (int, bool) {
	key, err := nameWire("*." + ce)
	if err != nil {
		return 0, false
	}
	return cp.index.find(key), true
}
