package dnsbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

const (
	// readyTimeout bounds a server's start, a secondary's first transfer
	// included.
	readyTimeout = 20 * time.Second
	// queryTimeout bounds one readiness or comparison query.
	queryTimeout = time.Second
)

// server is one DNS server under test.
type server struct {
	Name    string // "signald", "nsd" or "knot"
	Addr    string // 127.0.0.1:port, UDP and TCP
	Version string
	Notes   string // how it was configured, for the report
	proc    *process
}

// startSignald starts bin (a built signald) serving the signed zone, with
// RRL off, after checking its configuration.
func startSignald(ctx context.Context, bin, dir, cpu string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "signald.toml")
	if err := os.WriteFile(cfg, []byte(signaldConfig(filepath.Join(dir, "state"), addr)), 0o600); err != nil {
		return nil, err
	}
	if err := checkConfig(ctx, bin, cfg); err != nil {
		return nil, err
	}
	p, err := startProcess("signald", cpu, dir, []string{"GOMAXPROCS=1"}, bin, "-config", cfg)
	if err != nil {
		return nil, err
	}
	s := &server{Name: "signald", Addr: addr, proc: p, Version: goVersion(bin),
		Notes: "GOMAXPROCS=1, ECDSA P-256 combined key, RRL off ([dns.rrl] enabled = false)"}
	if _, err := waitReady(ctx, s, 0); err != nil {
		p.Stop()
		return nil, err
	}
	return s, nil
}

// checkConfig runs `bin -check -config path`.
func checkConfig(ctx context.Context, bin, path string) error {
	out, err := exec.CommandContext(ctx, bin, "-check", "-config", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s -check: %w: %s", bin, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startNSD starts nsd as a secondary of primary and waits until it serves
// serial.
func startNSD(ctx context.Context, dir, cpu, primary string, serial uint32) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port := splitHostPort(addr)
	conf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(conf, []byte(nsdConfig(dir, atoi(port), primary)), 0o600); err != nil {
		return nil, err
	}
	p, err := startProcess("nsd", cpu, dir, nil, "nsd", "-d", "-c", conf)
	if err != nil {
		return nil, err
	}
	s := &server{Name: "nsd", Addr: addr, proc: p, Version: programVersion("nsd", "-v"),
		Notes: "server-count 1, rrl-ratelimit 0, minimal-responses yes"}
	if _, err := waitReady(ctx, s, serial); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, readTail(filepath.Join(dir, "nsd-server.log")))
	}
	return s, nil
}

// startKnot starts knotd as a secondary of primary and waits until it
// serves serial.
func startKnot(ctx context.Context, dir, cpu, primary string, serial uint32) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"db", "zones", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	_, port := splitHostPort(addr)
	conf := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(conf, []byte(knotConfig(dir, atoi(port), primary)), 0o600); err != nil {
		return nil, err
	}
	p, err := startProcess("knot", cpu, dir, nil, "knotd", "-c", conf)
	if err != nil {
		return nil, err
	}
	s := &server{Name: "knot", Addr: addr, proc: p, Version: programVersion("knotd", "-V"),
		Notes: "udp-workers 1, tcp-workers 1, background-workers 1, no mod-rrl"}
	if _, err := waitReady(ctx, s, serial); err != nil {
		p.Stop()
		return nil, err
	}
	return s, nil
}

// readyStreak is how many good SOA answers in a row make a server ready:
// while NSD reloads after a transfer, its old server process (without the
// zone) still answers on the same socket for a moment.
const readyStreak = 3

// waitReady polls s until it answers the zone's SOA authoritatively (with
// serial, when not 0) readyStreak times in a row and returns the serial
// served.
func waitReady(ctx context.Context, s *server, serial uint32) (uint32, error) {
	deadline := time.Now().Add(readyTimeout)
	var last error
	streak := 0
	for time.Now().Before(deadline) {
		if s.proc.exited() {
			return 0, fmt.Errorf("%s %w before it was ready: %v\n%s", s.Name, errExited, s.proc.err, s.proc.tail())
		}
		got, err := soaSerial(ctx, s.Addr)
		switch {
		case err == nil && (serial == 0 || got == serial):
			if streak++; streak >= readyStreak {
				return got, nil
			}
		case err == nil:
			streak, last = 0, fmt.Errorf("serves serial %d, want %d", got, serial)
		default:
			streak, last = 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("%s on %s not ready after %s: %v\n%s", s.Name, s.Addr, readyTimeout, last, s.proc.tail())
}

func soaSerial(ctx context.Context, addr string) (uint32, error) {
	m, err := exchange(ctx, addr, zoneOrigin, dns.TypeSOA, false)
	if err != nil {
		return 0, err
	}
	if m.Rcode != dns.RcodeSuccess || !m.Authoritative || len(m.Answer) != 1 {
		return 0, fmt.Errorf("SOA: rcode %s, aa %v, %d answers", dns.RcodeToString[m.Rcode], m.Authoritative, len(m.Answer))
	}
	soa, ok := m.Answer[0].(*dns.SOA)
	if !ok {
		return 0, errors.New("SOA: answer is not a SOA")
	}
	return soa.Serial, nil
}

// answerText is the answer section of a query, one record a line, sorted,
// for comparing servers.
func answerText(ctx context.Context, addr, name string, qtype uint16, do bool) (string, error) {
	m, err := exchange(ctx, addr, name, qtype, do)
	if err != nil {
		return "", err
	}
	lines := make([]string, 0, len(m.Answer))
	for _, rr := range m.Answer {
		lines = append(lines, rr.String())
	}
	sort.Strings(lines)
	return dns.RcodeToString[m.Rcode] + "\n" + strings.Join(lines, "\n"), nil
}

func exchange(ctx context.Context, addr, name string, qtype uint16, do bool) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = false
	if do {
		q.SetEdns0(1232, true)
	}
	c := &dns.Client{Timeout: queryTimeout}
	m, _, err := c.ExchangeContext(ctx, q, addr)
	return m, err
}

// freeAddr returns a loopback address whose port is free for both UDP and
// TCP.
func freeAddr() (string, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := ln.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err == nil {
			pc.Close()
			return addr, nil
		}
	}
	return "", errors.New("no free loopback port for UDP and TCP")
}

func readTail(path string) string {
	p := &process{logPath: path}
	return p.tail()
}
