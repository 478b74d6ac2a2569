package nscheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/sigquery"
)

// ednsSize is the EDNS0 UDP size advertised (DNS flag day 2020).
const ednsSize = 1232

// errNoZone marks an answer that shows the server does not serve the zone.
var errNoZone = errors.New("does not serve the zone")

// probe asks server for the zone's SOA serial and the signal TXT, each
// query tried attempts times while the server does not answer at all.
func (c *Checker) probe(ctx context.Context, s Server) Observation {
	obs := Observation{At: c.now()}
	soa, err := c.ask(ctx, s.Addr, c.cfg.Zone, dns.TypeSOA)
	if err == nil {
		obs.Serial, err = soaSerial(soa, c.cfg.Zone)
	}
	var txt *dns.Msg
	if err == nil {
		txt, err = c.ask(ctx, s.Addr, c.cfg.SignalName, dns.TypeTXT)
	}
	if err != nil {
		obs.Fail, obs.Err = Unreachable, err.Error()
		if errors.Is(err, errNoZone) {
			obs.Fail = Error
		}
		return obs
	}
	obs.TXT = txtOf(txt, c.cfg.SignalName)
	return obs
}

// ask sends one non-recursive question, again after a try without an
// answer, and checks that the answer is authoritative. NXDOMAIN is an
// answer (a missing signal), any other error rcode is errNoZone.
func (c *Checker) ask(ctx context.Context, addr, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = false
	q.SetEdns0(ednsSize, false)
	var m *dns.Msg
	var err error
	for range c.cfg.Attempts {
		if m, err = sigquery.Exchange(ctx, addr, q, c.cfg.Timeout); err == nil || ctx.Err() != nil {
			break
		}
	}
	what := fmt.Sprintf("%s %s", name, dns.TypeToString[qtype])
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", what, err)
	case m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError:
		return nil, fmt.Errorf("%s: %s: %w", what, dns.RcodeToString[m.Rcode], errNoZone)
	case !m.Authoritative:
		return nil, fmt.Errorf("%s: answer without AA: %w", what, errNoZone)
	}
	return m, nil
}

// soaSerial returns the serial of zone's SOA in the answer.
func soaSerial(m *dns.Msg, zone string) (uint32, error) {
	for _, rr := range m.Answer {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, zone) {
			return soa.Serial, nil
		}
	}
	return 0, fmt.Errorf("%s SOA: no SOA in the answer: %w", zone, errNoZone)
}

// txtOf returns the TXT at name in the answer: the strings of one record
// joined, several records sorted and separated by " | ", "" for none.
func txtOf(m *dns.Msg, name string) string {
	var txts []string
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok && strings.EqualFold(t.Hdr.Name, name) {
			txts = append(txts, strings.Join(t.Txt, ""))
		}
	}
	slices.Sort(txts)
	return strings.Join(txts, " | ")
}
