package authdns

import (
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Records returns the whole zone, for a transfer (AXFR, or IXFR answered
// with the full zone): the SOA first, then every other record once —
// NS, glue, TXT and, when signed, DNSKEY, NSEC and every RRSIG (the SOA's
// included) — in a stable order: RRsets by canonical owner name and type,
// each followed by its RRSIGs. The closing SOA of a transfer is not
// repeated here. The records are copies: the caller may change them.
// Empty for the placeholder served before the first Swap.
func (s *Snapshot) Records() []dns.RR {
	out := make([]dns.RR, len(s.zoneRRs))
	for i, rr := range s.zoneRRs {
		out[i] = dns.Copy(rr)
	}
	return out
}

// SignatureExpiry returns the earliest expiration of the RRSIGs served, or
// the zero time when the zone is unsigned.
func (s *Snapshot) SignatureExpiry() time.Time { return s.sigExpiry }

// records returns the zone's records in the order Records promises.
func (zd zoneData) records(c content) []dns.RR {
	var soa, rest []dns.RR
	for _, set := range c.list() {
		rrs := append(slices.Clone(set.RRs), zd.sigsFor(set.RRs)...)
		if set.Type == dns.TypeSOA {
			soa = rrs
		} else {
			rest = append(rest, rrs...)
		}
	}
	return append(soa, rest...)
}

// sigExpiry returns the earliest expiration among the signatures of c's
// RRsets, or the zero time when unsigned.
func (zd zoneData) sigExpiry(c content) time.Time {
	var first time.Time
	if zd.DNSSEC == nil {
		return first
	}
	for _, set := range c.list() {
		for _, sig := range zd.DNSSEC.Sigs[set.Key()] {
			exp := time.Unix(int64(sig.Expiration), 0)
			if first.IsZero() || exp.Before(first) {
				first = exp
			}
		}
	}
	return first
}
