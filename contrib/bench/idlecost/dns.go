package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server"
	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// DNS constants, as the agent sends them (agent/query).
const (
	ednsSize     = 1232
	queryTimeout = 2 * time.Second
	readyTimeout = 20 * time.Second
	maxAnswer    = 65535
)

// DNSRow is one kind of poll: the queries it sends and the bytes.
type DNSRow struct {
	Name      string   `json:"name"`
	Queries   []string `json:"queries"`
	SentBytes int      `json:"request_bytes"`  // DNS messages sent
	RecvBytes int      `json:"response_bytes"` // DNS messages received
	Total     int      `json:"total_bytes"`
	// WithIPUDP adds the IPv4 and UDP headers (28 bytes a datagram).
	WithIPUDP int    `json:"total_bytes_with_ipv4_udp_headers"`
	Signed    bool   `json:"signed"` // the answers carried RRSIGs
	Answer    string `json:"answer"` // the signal TXT as served
}

// signald is the in-process server and where it answers.
type signald struct {
	addr   string
	signal string // the signal's name
	zone   string
	cancel context.CancelFunc
	done   chan error
}

// startSignald runs signald from the example config on stateDir and a
// free loopback port, and publishes every tree at a recent stamp.
func startSignald(ctx context.Context, configPath, stateDir string, now func() time.Time) (*signald, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg.StateDir = stateDir
	cfg.DNS.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg.DNS.RRL.Enabled = false // one client asks everything
	cfg.HTTP.Enabled = false
	cfg.NSCheck.Enabled = false // it would ask the example's name servers
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(ctx, cfg, log, now)
	if err != nil {
		return nil, fmt.Errorf("signald: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	sd := &signald{addr: cfg.DNS.Listen, signal: cfg.Zone.SignalName, zone: cfg.Zone.Origin, cancel: cancel, done: make(chan error, 1)}
	go func() { sd.done <- s.Run(rctx) }()
	sock, ok := cfg.AdminSocket()
	if !ok {
		sd.stop()
		return nil, errors.New("the example config's admin API is not a Unix socket")
	}
	if err := publishAll(ctx, sd, sock, cfg, now); err != nil {
		sd.stop()
		return nil, err
	}
	return sd, nil
}

func (s *signald) stop() {
	s.cancel()
	<-s.done
}

// publishAll publishes every tree at a stamp a few seconds apart and
// waits until DNS serves the last.
func publishAll(ctx context.Context, s *signald, sock string, cfg config.Config, now func() time.Time) error {
	deadline := time.Now().Add(readyTimeout)
	for _, err := os.Stat(sock); err != nil; _, err = os.Stat(sock) {
		if time.Now().After(deadline) {
			return fmt.Errorf("admin socket %s: %w", sock, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl := adminclient.Socket(sock)
	base := now().Unix() - int64(10*len(cfg.Trees))
	var last string
	for i, t := range cfg.Trees {
		at := base + int64(10*i)
		r, err := cl.Publish(ctx, apiv1.PublishRequest{Tree: t.Name, At: at})
		if err != nil {
			return err
		}
		end, err := cl.Follow(ctx, r, 50*time.Millisecond, func(apiv1.Publish) {})
		if err != nil {
			return err
		}
		if !end.Unchanged && end.State != "committed" {
			return fmt.Errorf("publish %s at %d: %s %s", t.Name, at, end.State, end.Reason)
		}
		last = strconv.FormatInt(at, 10)
	}
	for {
		row, err := measure(ctx, s.addr, "", []question{{s.signal, dns.TypeTXT}}, false)
		if err == nil && strings.Contains(row.Answer, last) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("signald does not serve the published stamp %s: %v (answer %q)", last, err, row.Answer)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type question struct {
	name  string
	qtype uint16
}

// measure sends each question over UDP as the agent does (EDNS0 1232,
// RD clear, DO when do is set) and counts the DNS messages' bytes.
func measure(ctx context.Context, addr, name string, qs []question, do bool) (DNSRow, error) {
	row := DNSRow{Name: name, Signed: do}
	for _, q := range qs {
		sent, m, recv, err := exchange(ctx, addr, q, do)
		if err != nil {
			return row, err
		}
		row.Queries = append(row.Queries, q.name+" "+dns.TypeToString[q.qtype])
		row.SentBytes += sent
		row.RecvBytes += recv
		if m.Truncated || m.Rcode != dns.RcodeSuccess || len(m.Answer) == 0 {
			return row, fmt.Errorf("%s %s: rcode %s, truncated %v, %d answers", q.name, dns.TypeToString[q.qtype],
				dns.RcodeToString[m.Rcode], m.Truncated, len(m.Answer))
		}
		sigs := 0
		for _, rr := range m.Answer {
			switch v := rr.(type) {
			case *dns.RRSIG:
				sigs++
			case *dns.TXT:
				row.Answer = strings.Join(v.Txt, "")
			}
		}
		if do && sigs == 0 {
			return row, fmt.Errorf("%s %s: no RRSIG with DO set", q.name, dns.TypeToString[q.qtype])
		}
	}
	row.Total = row.SentBytes + row.RecvBytes
	row.WithIPUDP = row.Total + 2*28*len(qs)
	return row, nil
}

// exchange sends one query datagram and reads one answer datagram.
func exchange(ctx context.Context, addr string, q question, do bool) (int, *dns.Msg, int, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = false
	m.SetEdns0(ednsSize, do)
	wire, err := m.Pack()
	if err != nil {
		return 0, nil, 0, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return 0, nil, 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(queryTimeout)); err != nil {
		return 0, nil, 0, err
	}
	if _, err := conn.Write(wire); err != nil {
		return 0, nil, 0, err
	}
	buf := make([]byte, maxAnswer)
	n, err := conn.Read(buf)
	if err != nil {
		return 0, nil, 0, err
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(buf[:n]); err != nil {
		return 0, nil, 0, err
	}
	if resp.Id != m.Id {
		return 0, nil, 0, errors.New("answer for another query id")
	}
	return len(wire), resp, n, nil
}

// measureDNS is the three kinds of idle poll: the signal with DNSSEC
// (modes resolver-ad and pinned once the keys are cached), the same
// without DO (dnssec off), and the pinned mode's poll that also fetches
// the DNSKEY set.
func measureDNS(ctx context.Context, s *signald) ([]DNSRow, error) {
	txt := question{s.signal, dns.TypeTXT}
	key := question{s.zone, dns.TypeDNSKEY}
	var rows []DNSRow
	for _, c := range []struct {
		name string
		qs   []question
		do   bool
	}{
		{"signal TXT, DNSSEC (DO)", []question{txt}, true},
		{"signal TXT, no DNSSEC", []question{txt}, false},
		{"signal TXT + DNSKEY, DNSSEC (pinned mode)", []question{txt, key}, true},
	} {
		row, err := measure(ctx, s.addr, c.name, c.qs, c.do)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func freePort() (int, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		ln.Close()
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port")
}

// exampleConfig finds contrib/examples/signald.toml from the working
// directory or its parents (make runs from the repository root; go test
// from this package).
func exampleConfig() string {
	rel := filepath.Join("contrib", "examples", "signald.toml")
	dir, _ := os.Getwd()
	for range 6 {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		dir = filepath.Dir(dir)
	}
	return rel
}
