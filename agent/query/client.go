package query

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Client sends one question to a list of servers: in order, up to Attempts
// rounds, each query bounded by Timeout, over UDP with EDNS0 and again over
// TCP when the answer is truncated — or, with HTTPS set, as DNS over HTTPS.
type Client struct {
	Servers   []string      // host:port, or https URLs with HTTPS set
	Recursive bool          // resolvers and DoH: RD set; authoritative: RD clear and AA required
	DO        bool          // ask for DNSSEC records
	Timeout   time.Duration // per query
	Attempts  int           // rounds over all servers
	// HTTPS, when set, carries every query as DNS over HTTPS (RFC 8484,
	// POST) to Servers, which are then URLs such as
	// https://signal.example.org/dns-query; see HTTPSClient.
	HTTPS *http.Client
}

// Response is an answer and the server that gave it.
type Response struct {
	Msg    *dns.Msg
	Server string
}

// Exchange asks name/qtype and returns the first usable answer.
func (c *Client) Exchange(ctx context.Context, name string, qtype uint16) (*Response, error) {
	var errs serverErrors
	for round := 0; round < max(c.Attempts, 1); round++ {
		if round > 0 {
			if err := sleep(ctx, ServerBackoff); err != nil {
				return nil, err
			}
		}
		for _, server := range c.Servers {
			m, err := c.ask(ctx, server, name, qtype)
			if err == nil {
				return &Response{Msg: m, Server: server}, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
		}
	}
	if len(c.Servers) == 0 { // only says why errs is empty: the error is ErrUnreachable either way
		errs = append(errs, errors.New("no servers configured"))
	}
	return nil, fmt.Errorf("%w: %s %s: %w", ErrUnreachable, name, dns.TypeToString[qtype], errs)
}

// serverErrors are the failures of one Exchange, one per server and round,
// printed on one line and each reachable with errors.Is.
type serverErrors []error

func (e serverErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e serverErrors) Unwrap() []error { return e }

func (c *Client) ask(ctx context.Context, server, name string, qtype uint16) (*dns.Msg, error) {
	q := c.question(name, qtype)
	if c.HTTPS != nil {
		m, err := c.exchangeHTTPS(ctx, server, q)
		if err != nil {
			return nil, err
		}
		return m, c.check(q, m)
	}
	m, err := c.exchange(ctx, "udp", server, q)
	if err == nil && m.Truncated {
		m, err = c.exchange(ctx, "tcp", server, q)
	}
	if err != nil {
		return nil, err
	}
	return m, c.check(q, m)
}

func (c *Client) question(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = c.Recursive
	q.SetEdns0(EDNSBufSize, c.DO)
	return q
}

func (c *Client) exchange(ctx context.Context, network, server string, q *dns.Msg) (*dns.Msg, error) {
	cl := &dns.Client{Net: network, Timeout: c.Timeout, UDPSize: EDNSBufSize}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	m, _, err := cl.ExchangeContext(ctx, q, server)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	return m, nil
}

// check refuses answers that do not belong to the question or carry an
// error code.
func (c *Client) check(q, m *dns.Msg) error {
	if len(m.Question) != 1 || !strings.EqualFold(m.Question[0].Name, q.Question[0].Name) ||
		m.Question[0].Qtype != q.Question[0].Qtype {
		return fmt.Errorf("%w: answer is for another question", ErrAnswer)
	}
	if m.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("%w: rcode %s", ErrAnswer, dns.RcodeToString[m.Rcode])
	}
	if !c.Recursive && !m.Authoritative {
		return fmt.Errorf("%w: authoritative server answered without AA", ErrAnswer)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SystemResolvers returns the nameservers of resolv.conf as host:port.
func SystemResolvers(resolvConf string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(cc.Servers))
	for _, s := range cc.Servers {
		out = append(out, net.JoinHostPort(s, cc.Port))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", resolvConf)
	}
	return out, nil
}
