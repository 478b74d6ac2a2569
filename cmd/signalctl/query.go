package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// queryTimeout bounds each DNS exchange of `signalctl query`.
const queryTimeout = 3 * time.Second

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration (for defaults of --server and --name)")
	server := fs.String("server", "", "DNS server HOST:PORT to ask (default: dns.listen from the config)")
	name := fs.String("name", "", "signal name (default: zone.signal_name from the config)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if *server == "" || *name == "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		if *server == "" {
			*server = cfg.DNS.Listen
		}
		if *name == "" {
			*name = cfg.Zone.SignalName
		}
	}
	if _, _, err := net.SplitHostPort(*server); err != nil {
		*server = net.JoinHostPort(*server, "53")
	}
	res, err := querySignal(ctx, *server, dns.Fqdn(strings.ToLower(*name)))
	if err != nil {
		return err
	}
	printSignal(stdout, res, time.Now())
	return nil
}

type signalAnswer struct {
	Name, Server string
	Record       signal.Record
	Serial       uint32
}

func querySignal(ctx context.Context, server, name string) (signalAnswer, error) {
	out := signalAnswer{Name: name, Server: server}
	layoutTXT, err := queryTXT(ctx, server, "_trees."+name)
	if err != nil {
		return out, err
	}
	layout, err := signal.ParseLayout(layoutTXT)
	if err != nil {
		return out, fmt.Errorf("_trees.%s: %w", name, err)
	}
	txt, err := queryTXT(ctx, server, name)
	if err != nil {
		return out, err
	}
	if out.Record, err = signal.ParseRecord(txt, layout); err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	m, err := exchange(ctx, server, name, dns.TypeSOA)
	if err == nil {
		for _, rr := range append(m.Answer, m.Ns...) {
			if soa, ok := rr.(*dns.SOA); ok {
				out.Serial = soa.Serial
			}
		}
	}
	return out, nil
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

// exchange asks over UDP and retries over TCP when the answer is truncated.
func exchange(ctx context.Context, server, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = false
	q.SetEdns0(1232, false)
	c := &dns.Client{Timeout: queryTimeout}
	m, _, err := c.ExchangeContext(ctx, q, server)
	if err == nil && m.Truncated {
		c.Net = "tcp"
		m, _, err = c.ExchangeContext(ctx, q, server)
	}
	if err != nil {
		return nil, fmt.Errorf("query %s %s at %s: %w", name, dns.TypeToString[qtype], server, err)
	}
	if m.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("query %s %s at %s: %w", name, dns.TypeToString[qtype], server, errors.New(dns.RcodeToString[m.Rcode]))
	}
	return m, nil
}

func printSignal(w io.Writer, a signalAnswer, now time.Time) {
	fmt.Fprintf(w, "signal %s from %s: %q (serial %d)\n", a.Name, a.Server, a.Record.String(), a.Serial)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, tree := range a.Record.Layout {
		v := a.Record.Stamps[i]
		if v == 0 {
			fmt.Fprintf(tw, "%s\t%d\tnever published\n", tree, v)
			continue
		}
		t := time.Unix(v, 0).UTC()
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s ago\n", tree, v, t.Format(time.RFC3339), now.Sub(t).Truncate(time.Second))
	}
	tw.Flush()
}
