package agenttest

import (
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ServeDNS answers from the zone: TXT records, the DNSKEY at the origin,
// NODATA for other types at known names, NXDOMAIN otherwise.
func (s *DNSServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	network := w.LocalAddr().Network()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, Query{Name: q.Name, Type: q.Qtype, Net: network})
	do := r.IsEdns0() != nil && r.IsEdns0().Do()
	if r.IsEdns0() != nil {
		m.SetEdns0(1232, do)
	}
	if network == "udp" && s.truncateUDP {
		m.Truncated = true
		_ = w.WriteMsg(m)
		return
	}
	s.answer(m, strings.ToLower(q.Name), q.Qtype, do)
	m.AuthenticatedData = s.ad
	_ = w.WriteMsg(m)
}

func (s *DNSServer) answer(m *dns.Msg, name string, qtype uint16, do bool) {
	strs, ok := s.txt[name]
	switch {
	case qtype == dns.TypeDNSKEY && name == s.Origin:
		m.Answer = []dns.RR{s.key}
		if do {
			m.Answer = append(m.Answer, s.sign([]dns.RR{s.key}, Signing{Enabled: true}))
		}
	case ok && qtype == dns.TypeTXT:
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: strs}
		m.Answer = []dns.RR{rr}
		if do && s.signing.Enabled {
			m.Answer = append(m.Answer, s.sign(m.Answer, s.signing))
		}
	case ok || name == s.Origin:
		m.Ns = []dns.RR{s.soa()}
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{s.soa()}
	}
}

func (s *DNSServer) sign(rrset []dns.RR, g Signing) *dns.RRSIG {
	now := time.Now()
	inc, exp := g.Inception, g.Expiration
	if inc.IsZero() {
		inc = now.Add(-time.Hour)
	}
	if exp.IsZero() {
		exp = now.Add(7 * 24 * time.Hour)
	}
	h := rrset[0].Header()
	sig := &dns.RRSIG{
		Hdr:         dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		TypeCovered: h.Rrtype,
		Algorithm:   s.key.Algorithm,
		Labels:      uint8(dns.CountLabel(h.Name)),
		OrigTtl:     h.Ttl,
		Inception:   uint32(inc.Unix()),
		Expiration:  uint32(exp.Unix()),
		KeyTag:      s.key.KeyTag(),
		SignerName:  s.Origin,
	}
	signed := rrset
	if g.Corrupt {
		signed = []dns.RR{dns.Copy(rrset[0])}
		if t, ok := signed[0].(*dns.TXT); ok {
			t.Txt = []string{"forged"}
		}
	}
	if err := sig.Sign(s.priv, signed); err != nil {
		panic(err) // a test fixture with a fresh key; cannot happen
	}
	return sig
}

func (s *DNSServer) soa() dns.RR {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: s.Origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
		Ns:  "ns." + s.Origin, Mbox: "hostmaster." + s.Origin,
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300,
	}
}
