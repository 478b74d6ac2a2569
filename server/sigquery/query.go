package sigquery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Timeout bounds each DNS exchange of a query.
const Timeout = 3 * time.Second

// ednsSize is the EDNS0 UDP size advertised, the DNS flag day 2020 value.
const ednsSize = 1232

// Answer is the signal as one server gave it.
type Answer struct {
	Name   string // the signal's owner name, fully qualified, lower case
	Server string // the server asked, host:port
	Record signal.Record
	Serial uint32 // the zone's SOA serial; 0 when the server gave none
}

// Query asks server (host or host:port; port 53 when none) for the signal
// at name: the layout at _trees.<name>, the record at name, checked against
// the layout, and the SOA serial (best effort). Each exchange goes over UDP
// and again over TCP when the answer is truncated.
func Query(ctx context.Context, server, name string) (Answer, error) {
	name = dns.Fqdn(strings.ToLower(name))
	out := Answer{Name: name, Server: serverAddr(server)}
	layoutTXT, err := queryTXT(ctx, out.Server, "_trees."+name)
	if err != nil {
		return out, err
	}
	layout, err := signal.ParseLayout(layoutTXT)
	if err != nil {
		return out, fmt.Errorf("_trees.%s: %w", name, err)
	}
	txt, err := queryTXT(ctx, out.Server, name)
	if err != nil {
		return out, err
	}
	if out.Record, err = signal.ParseRecord(txt, layout); err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	out.Serial = querySerial(ctx, out.Server, name)
	return out, nil
}

// serverAddr adds port 53 to a server given without a port.
func serverAddr(server string) string {
	if _, _, err := net.SplitHostPort(server); err != nil {
		return net.JoinHostPort(server, "53")
	}
	return server
}

// querySerial returns the serial of the SOA in the answer or authority
// section of an SOA query for name; 0 on any failure.
func querySerial(ctx context.Context, server, name string) uint32 {
	m, err := exchange(ctx, server, name, dns.TypeSOA)
	if err != nil {
		return 0
	}
	var serial uint32
	for _, rr := range append(m.Answer, m.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok {
			serial = soa.Serial
		}
	}
	return serial
}

// queryTXT returns the single character-string of the single TXT at name.
func queryTXT(ctx context.Context, server, name string) (string, error) {
	m, err := exchange(ctx, server, name, dns.TypeTXT)
	if err != nil {
		return "", err
	}
	var txts []*dns.TXT
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok && strings.EqualFold(t.Hdr.Name, name) {
			txts = append(txts, t)
		}
	}
	if len(txts) != 1 || len(txts[0].Txt) != 1 {
		return "", fmt.Errorf("%s: want one TXT with one string, got %d records", name, len(txts))
	}
	return txts[0].Txt[0], nil
}

// Exchange sends q to server over UDP and again over TCP when the answer
// is truncated; timeout bounds each try. It is the server side's one
// UDP-then-TCP query path (the agent has its own: it must not import
// server).
func Exchange(ctx context.Context, server string, q *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	c := &dns.Client{Timeout: timeout}
	m, _, err := c.ExchangeContext(ctx, q, server)
	if err == nil && m.Truncated {
		c.Net = "tcp"
		m, _, err = c.ExchangeContext(ctx, q, server)
	}
	return m, err
}

// exchange asks a non-recursive question over UDP, TCP on truncation.
func exchange(ctx context.Context, server, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = false
	q.SetEdns0(ednsSize, false)
	m, err := Exchange(ctx, server, q, Timeout)
	if err != nil {
		return nil, fmt.Errorf("query %s %s at %s: %w", name, dns.TypeToString[qtype], server, err)
	}
	if m.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("query %s %s at %s: %w", name, dns.TypeToString[qtype], server, errors.New(dns.RcodeToString[m.Rcode]))
	}
	return m, nil
}
