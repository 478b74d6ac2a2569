package main

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// floodResult counts the answers to a flood of UDP queries.
type floodResult struct {
	sent, full, truncated int
	elapsed               time.Duration // from the first query to the last answer
}

func (r floodResult) silent() int { return r.sent - r.full - r.truncated }

// floodSilence ends a flood's reading: no answer for this long.
const floodSilence = time.Second

// flood sends n signal queries over UDP from the address src (any 127.x)
// to server as fast as it can, and counts full and truncated answers until
// none has come for floodSilence.
func flood(t *testing.T, server, src string, n int) floodResult {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res := floodResult{sent: n}
	seen := make(map[uint16]bool, n)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			conn.SetReadDeadline(time.Now().Add(floodSilence))
			k, err := conn.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return
			}
			if err != nil {
				continue
			}
			var m dns.Msg
			if m.Unpack(buf[:k]) != nil || seen[m.Id] {
				continue
			}
			seen[m.Id] = true
			res.elapsed = time.Since(start)
			switch {
			case m.Truncated:
				res.truncated++
			case m.Rcode == dns.RcodeSuccess && len(m.Answer) > 0:
				res.full++
			}
		}
	}()
	q := new(dns.Msg)
	q.SetQuestion("current."+zoneOrigin, dns.TypeTXT)
	for i := range n {
		q.Id = uint16(i + 1)
		wire, _ := q.Pack()
		if _, err := conn.Write(wire); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	return res
}

// rrlCounters reads mirrorsignal_dns_rrl_*_total from signald's /metrics.
func (in *instance) rrlCounters(t *testing.T) map[string]int {
	t.Helper()
	resp, err := in.httpClient.Get("http://" + in.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if kind, found := strings.CutPrefix(name, "mirrorsignal_dns_rrl_"); ok && found {
			v, _ := strconv.ParseFloat(value, 64)
			out[strings.TrimSuffix(kind, "_total")] = int(v)
		}
	}
	return out
}

// TestRRLFlood: [dns.rrl] in the configuration reaches the DNS server. A
// flood from one 127.x source is limited to about the configured rate, the
// rest answered truncated (slip 2) or not at all, and the counters in
// /metrics say so; other prefixes, exempt prefixes and TCP are not limited;
// with enabled = false nothing is.
func TestRRLFlood(t *testing.T) {
	const rate, n = 10, 100
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dns.rrl]\nrate = "+strconv.Itoa(rate)+"\nslip = 2\nipv4_prefix = 24\nexempt = [\"127.79.0.0/16\"]\n")
	in.start(t)

	res := flood(t, in.dns, "127.77.0.1", n)
	t.Logf("rate %d/s, %d queries from 127.77.0.1: %d full, %d truncated, %d unanswered in %s", rate, n, res.full, res.truncated, res.silent(), res.elapsed)
	if most := rate * (1 + int(res.elapsed.Seconds()+1)); res.full < 1 || res.full > most {
		t.Errorf("%d full answers, want between 1 and %d", res.full, most)
	}
	if res.truncated == 0 || res.silent() == 0 {
		t.Errorf("over the limit with slip 2: %d truncated, %d unanswered; want both", res.truncated, res.silent())
	}
	c := in.rrlCounters(t)
	if c["slipped"] < res.truncated || c["dropped"] == 0 || c["limited"] != c["slipped"]+c["dropped"] {
		t.Errorf("/metrics rrl counters %v after %d truncated answers and %d unanswered", c, res.truncated, res.silent())
	}

	// Another /24 is not limited while 127.77.0.0/24 is; neither is TCP
	// from the flooding source, nor an exempt prefix.
	if r := flood(t, in.dns, "127.78.0.1", 5); r.full != 5 {
		t.Errorf("another prefix during the flood: %+v, want 5 full answers", r)
	}
	c0 := in.rrlCounters(t)
	tcp := &dns.Client{Net: "tcp", Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.77.0.1")}}}
	q := new(dns.Msg)
	q.SetQuestion("current."+zoneOrigin, dns.TypeTXT)
	for range 3 * rate {
		if m, _, err := tcp.Exchange(q, in.dns); err != nil || m.Truncated || len(m.Answer) == 0 {
			t.Fatalf("TCP from the flooding source: %v %v", m, err)
		}
	}
	if r := flood(t, in.dns, "127.79.0.1", n); r.full != n {
		t.Errorf("exempt prefix: %+v, want %d full answers", r, n)
	}
	if c := in.rrlCounters(t); c["limited"] != c0["limited"] {
		t.Errorf("rrl counters went from %v to %v on TCP and exempt queries", c0, c)
	}
}

// TestRRLDisabled: with [dns.rrl] enabled = false the same flood is
// answered in full and nothing is counted.
func TestRRLDisabled(t *testing.T) {
	const n = 100
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dns.rrl]\nenabled = false\nrate = 10\n")
	in.start(t)
	if r := flood(t, in.dns, "127.77.0.1", n); r.full != n {
		t.Errorf("RRL off: %+v, want %d full answers", r, n)
	}
	if c := in.rrlCounters(t); c["limited"] != 0 || c["slipped"] != 0 || c["dropped"] != 0 {
		t.Errorf("RRL off: /metrics rrl counters %v", c)
	}
}
