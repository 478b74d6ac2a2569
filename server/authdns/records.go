package authdns

import (
	"github.com/miekg/dns"
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

// rrsets returns the zone's data by owner name.
func (zd zoneData) rrsets() map[string]rrsets {
	data := map[string]rrsets{}
	add := func(rr dns.RR) {
		name, t := rr.Header().Name, rr.Header().Rrtype
		if data[name] == nil {
			data[name] = rrsets{}
		}
		data[name][t] = append(data[name][t], rr)
	}
	add(zd.soa(zd.TTL))
	for _, ns := range zd.NS {
		add(&dns.NS{Hdr: zd.hdr(zd.Origin, dns.TypeNS, zd.TTL), Ns: ns.Name})
	}
	for _, rr := range zd.glueRRs() {
		add(rr)
	}
	add(zd.txt(zd.SignalName, zd.Record.String()))
	add(zd.txt(zd.treesName, zd.Record.Layout.String()))
	return data
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
