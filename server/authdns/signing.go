package authdns

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// Signing is the DNSSEC part of a Zone. This package never signs: the
// caller signs the RRsets that Zone.RRsets returns (with dnssec.Signer,
// when the zone changes and when signatures near expiry) and hands the
// signatures back here; Compile only checks and serves them.
type Signing struct {
	// Keys are the zone's keys. Their public halves make the apex DNSKEY
	// RRset; the private halves are not used here and may be nil.
	Keys []*dnssec.Key
	// Sigs holds the signatures of every RRset that Zone.RRsets returns.
	// Entries for other RRsets are ignored.
	Sigs map[dnssec.SetKey][]*dns.RRSIG
}

// RRsets returns every authoritative RRset of z as Compile will serve it,
// with canonical (lowercase) owner names, in canonical order (owner, then
// type): SOA, NS, glue A/AAAA, the signal and _trees TXT, and, when
// z.DNSSEC is set (with its Keys), the apex DNSKEY RRset and the NSEC
// chain. The caller signs exactly these; z.DNSSEC.Sigs is not read.
func (z Zone) RRsets() ([]dnssec.RRset, error) {
	zd, err := z.normalize()
	if err != nil {
		return nil, err
	}
	return zd.content().list(), nil
}

// checkKeys validates the keys of a signed zone: at least one, each a zone
// key of the origin, none twice.
func (n *zoneData) checkKeys() error {
	if n.DNSSEC == nil {
		return nil
	}
	if len(n.DNSSEC.Keys) == 0 {
		return fmt.Errorf("%w: DNSSEC.Keys: a signed zone needs at least one key", ErrZone)
	}
	seen := map[string]bool{}
	for i, k := range n.DNSSEC.Keys {
		field := fmt.Sprintf("DNSSEC.Keys[%d]", i)
		if k == nil || k.DNSKEY == nil {
			return fmt.Errorf("%w: %s: no DNSKEY", ErrZone, field)
		}
		if !strings.EqualFold(k.DNSKEY.Hdr.Name, n.Origin) {
			return fmt.Errorf("%w: %s: key %d is for %s, not %s", ErrZone, field, k.Tag(), k.DNSKEY.Hdr.Name, n.Origin)
		}
		if k.DNSKEY.Flags&dns.ZONE == 0 || k.DNSKEY.Protocol != 3 {
			return fmt.Errorf("%w: %s: key %d is not a DNSSEC zone key", ErrZone, field, k.Tag())
		}
		pub := k.DNSKEY.PublicKey + fmt.Sprint(k.DNSKEY.Algorithm, k.DNSKEY.Flags)
		if seen[pub] {
			return fmt.Errorf("%w: %s: key %d appears twice", ErrZone, field, k.Tag())
		}
		seen[pub] = true
	}
	return nil
}

// dnskeys returns the apex DNSKEY RRset. Its TTL is the zone TTL, like the
// other apex infrastructure records (the keys' own TTLs could differ from
// one another, which an RRset must not, RFC 2181 §5.2).
func (zd zoneData) dnskeys() []dns.RR {
	out := make([]dns.RR, 0, len(zd.DNSSEC.Keys))
	for _, k := range zd.DNSSEC.Keys {
		rr := *k.DNSKEY
		rr.Hdr = zd.hdr(zd.Origin, dns.TypeDNSKEY, zd.TTL)
		out = append(out, &rr)
	}
	return out
}

// nsecTTL is the TTL of the NSEC records: the negative caching time,
// min(SOA TTL, MINIMUM) (RFC 4034 §4 as updated by RFC 9077 §3.2), the
// same as the SOA of negative answers, so a denial lives no longer in a
// cache than the NXDOMAIN it proves.
func (zd zoneData) nsecTTL() uint32 { return min(zd.TTL, zd.SOA.Minimum) }

// checkSigs reports an RRset of c that the zone serves without a valid
// signature by one of its keys: a missing entry, an unknown key, or a
// signature made over other content (signed before the zone changed).
// Validity periods are not checked: Compile has no clock, and the caller
// refreshes signatures on its own schedule.
func (zd zoneData) checkSigs(c content) error {
	if zd.DNSSEC == nil {
		return nil
	}
	for _, set := range c.list() {
		sigs := zd.DNSSEC.Sigs[set.Key()]
		what := set.Name + " " + dns.TypeToString[set.Type]
		if len(sigs) == 0 {
			return fmt.Errorf("%w: DNSSEC.Sigs: %s has no signature", ErrZone, what)
		}
		for _, sig := range sigs {
			if err := zd.verify(sig, set); err != nil {
				return fmt.Errorf("%w: DNSSEC.Sigs: %s: %w", ErrZone, what, err)
			}
		}
	}
	return nil
}

// verify checks sig over set with the zone key it names.
func (zd zoneData) verify(sig *dns.RRSIG, set dnssec.RRset) error {
	if sig == nil {
		return errors.New("nil signature")
	}
	for _, k := range zd.DNSSEC.Keys {
		if k.Tag() == sig.KeyTag && k.DNSKEY.Algorithm == sig.Algorithm && sig.Verify(k.DNSKEY, set.RRs) == nil {
			return nil
		}
	}
	return fmt.Errorf("signature by key %d does not verify with any zone key over the served content", sig.KeyTag)
}

// sigsFor returns the RRSIGs of the RRsets in rrs, in their order, each
// RRset's once, with the TTL the records are served with (the SOA of a
// negative answer is served below the TTL it was signed with; RFC 4035
// §2.2 has an RRSIG's TTL follow its RRset). Nil when unsigned.
func (zd zoneData) sigsFor(rrs []dns.RR) []dns.RR {
	if zd.DNSSEC == nil {
		return nil
	}
	var out []dns.RR
	var done []dnssec.SetKey
	for _, rr := range rrs {
		h := rr.Header()
		key := dnssec.SetKey{Name: h.Name, Type: h.Rrtype}
		if slices.Contains(done, key) {
			continue
		}
		done = append(done, key)
		for _, sig := range zd.DNSSEC.Sigs[key] {
			c := *sig
			c.Hdr.Name, c.Hdr.Ttl = h.Name, h.Ttl
			out = append(out, &c)
		}
	}
	return out
}
