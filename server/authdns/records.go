package authdns

import (
	"cmp"
	"slices"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// rrsets holds the data at one name by type.
type rrsets map[uint16][]dns.RR

// anyChoice returns the type of the one RRset an ANY query gets.
//
// ANY is answered minimally (RFC 8482 §4.2): with a single RRset that
// exists at the name (TXT at the signal names, SOA at the apex, an address
// at a name server), over UDP and TCP alike. That keeps `dig ANY current…`
// useful and the answer small; a name without data gets NODATA.
func (sets rrsets) anyChoice() (uint16, bool) {
	for _, t := range [...]uint16{dns.TypeTXT, dns.TypeSOA, dns.TypeA, dns.TypeAAAA, dns.TypeNS} {
		if len(sets[t]) > 0 {
			return t, true
		}
	}
	return 0, false
}

// zoneSets holds a zone's data: RRsets by owner name and type.
type zoneSets map[string]rrsets

// add puts rr into its RRset.
func (d zoneSets) add(rrs ...dns.RR) {
	for _, rr := range rrs {
		name, t := rr.Header().Name, rr.Header().Rrtype
		if d[name] == nil {
			d[name] = rrsets{}
		}
		d[name][t] = append(d[name][t], rr)
	}
}

// rrsets returns the zone's unsigned data by owner name.
func (zd zoneData) rrsets() zoneSets {
	data := zoneSets{}
	data.add(zd.soa(zd.TTL))
	for _, ns := range zd.NS {
		data.add(&dns.NS{Hdr: zd.hdr(zd.Origin, dns.TypeNS, zd.TTL), Ns: ns.Name})
	}
	data.add(zd.glueRRs()...)
	data.add(zd.txt(zd.SignalName, zd.Record.String()))
	data.add(zd.txt(zd.treesName, zd.Record.Layout.String()))
	return data
}

// content is a zone's data as served: with, when the zone is signed, the
// apex DNSKEY RRset and the NSEC chain.
type content struct {
	data  zoneSets
	chain []*dns.NSEC // canonical order; nil when unsigned
}

// content returns the data zd serves.
func (zd zoneData) content() content {
	c := content{data: zd.rrsets()}
	if zd.DNSSEC == nil {
		return c
	}
	c.data.add(zd.dnskeys()...)
	for _, set := range dnssec.NSEC(zd.Origin, c.list(), zd.nsecTTL()) {
		nsec := set.RRs[0].(*dns.NSEC)
		c.chain = append(c.chain, nsec)
		c.data.add(nsec)
	}
	return c
}

// list returns c's RRsets in canonical order: by owner name (RFC 4034
// §6.1), then by type.
func (c content) list() []dnssec.RRset {
	var out []dnssec.RRset
	for name, sets := range c.data {
		for t, rrs := range sets {
			out = append(out, dnssec.RRset{Name: name, Type: t, RRs: rrs})
		}
	}
	slices.SortFunc(out, func(a, b dnssec.RRset) int {
		switch {
		case a.Name != b.Name && dnssec.CanonicalLess(a.Name, b.Name):
			return -1
		case a.Name != b.Name:
			return 1
		}
		return cmp.Compare(a.Type, b.Type)
	})
	return out
}

// glueRRs returns the A and AAAA records of the in-zone name servers, in
// NS order.
func (zd zoneData) glueRRs() []dns.RR {
	var out []dns.RR
	for _, ns := range zd.NS {
		for _, a := range ns.Addrs {
			if a.Is4() {
				out = append(out, &dns.A{Hdr: zd.hdr(ns.Name, dns.TypeA, zd.TTL), A: a.AsSlice()})
			}
		}
		for _, a := range ns.Addrs {
			if a.Is6() {
				out = append(out, &dns.AAAA{Hdr: zd.hdr(ns.Name, dns.TypeAAAA, zd.TTL), AAAA: a.AsSlice()})
			}
		}
	}
	return out
}

func (zd zoneData) soa(ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr: zd.hdr(zd.Origin, dns.TypeSOA, ttl),
		Ns:  zd.SOA.MName, Mbox: zd.SOA.RName,
		Serial: zd.SOA.Serial, Refresh: zd.SOA.Refresh, Retry: zd.SOA.Retry,
		Expire: zd.SOA.Expire, Minttl: zd.SOA.Minimum,
	}
}

// negativeSOA is the SOA of negative answers, whose TTL is the negative
// caching time: min(SOA TTL, MINIMUM) (RFC 2308 §3).
func (zd zoneData) negativeSOA() dns.RR {
	return zd.soa(min(zd.TTL, zd.SOA.Minimum))
}

func (zd zoneData) txt(name, s string) dns.RR {
	return &dns.TXT{Hdr: zd.hdr(name, dns.TypeTXT, zd.SignalTTL), Txt: []string{s}}
}

func (zd zoneData) hdr(name string, t uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
}
