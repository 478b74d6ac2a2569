package query

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Pins are the trust anchors of mode "pinned": DS or DNSKEY records of one
// zone, the zone that signs the signal.
type Pins struct {
	Zone    string
	DS      []*dns.DS
	DNSKEYs []*dns.DNSKEY
}

// ParsePins reads pins in zone-file syntax ("zone. IN DS 12345 13 2 AB…" or
// "zone. IN DNSKEY 257 3 13 base64…"). All must name one zone, which must
// contain signalName. The error's index i names the bad entry.
func ParsePins(pins []string, signalName string) (*Pins, int, error) {
	p := &Pins{}
	for i, s := range pins {
		rr, err := dns.NewRR(s)
		if err != nil || rr == nil {
			return nil, i, fmt.Errorf("not a DS or DNSKEY record: %v", err)
		}
		zone := strings.ToLower(rr.Header().Name)
		if p.Zone != "" && zone != p.Zone {
			return nil, i, fmt.Errorf("pins name two zones, %s and %s", p.Zone, zone)
		}
		p.Zone = zone
		switch v := rr.(type) {
		case *dns.DS:
			p.DS = append(p.DS, v)
		case *dns.DNSKEY:
			p.DNSKEYs = append(p.DNSKEYs, v)
		default:
			return nil, i, fmt.Errorf("%s record: want DS or DNSKEY", dns.TypeToString[rr.Header().Rrtype])
		}
	}
	if p.Zone == "" {
		return nil, 0, fmt.Errorf("no pins")
	}
	if !dns.IsSubDomain(p.Zone, strings.ToLower(dns.Fqdn(signalName))) {
		return nil, 0, fmt.Errorf("pinned zone %s does not contain the signal name %s", p.Zone, signalName)
	}
	return p, 0, nil
}

// anchors returns the keys of set that match a pin.
func (p *Pins) anchors(set []*dns.DNSKEY) []*dns.DNSKEY {
	var out []*dns.DNSKEY
	for _, k := range set {
		if p.matches(k) {
			out = append(out, k)
		}
	}
	return out
}

func (p *Pins) matches(k *dns.DNSKEY) bool {
	for _, pk := range p.DNSKEYs {
		if pk.Flags == k.Flags && pk.Protocol == k.Protocol && pk.Algorithm == k.Algorithm &&
			pk.PublicKey == k.PublicKey {
			return true
		}
	}
	for _, ds := range p.DS {
		if ds.KeyTag != k.KeyTag() || ds.Algorithm != k.Algorithm {
			continue
		}
		if d := k.ToDS(ds.DigestType); d != nil && strings.EqualFold(d.Digest, ds.Digest) {
			return true
		}
	}
	return false
}
