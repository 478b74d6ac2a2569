package authdns

import (
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// TestRRLFlood floods the server from many addresses of one /24 with a
// query whose answer is ten times its size, and checks what RRL promises:
// the flooding prefix gets no more bytes than it sends, a client of
// another prefix is answered throughout, and the flooding prefix's TCP
// retry gets the full answer.
func TestRRLFlood(t *testing.T) {
	const (
		rate    = 50
		senders = 32  // 127.0.5.1 .. 127.0.5.32
		each    = 125 // queries per sender
	)
	limiter := rrl.New(rrl.Config{Rate: rate, Slip: 2})
	ts := startServer(t, Config{RRL: limiter}, mustCompile(t, manyNSZone(10)))
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ts.udp))
	query := pack(t, newQuery(testOrigin, dns.TypeNS, withEDNS(4096)))

	var mu sync.Mutex
	var in, out, full, slipped int // bytes the prefix received and sent; answers by kind
	var wg sync.WaitGroup
	start := time.Now()
	for i := range senders {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 5, byte(i+1))})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadBuffer(1 << 20)
		wg.Go(func() { // reader: until the flood has been quiet for a while
			buf := make([]byte, 65535)
			for {
				conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				n, err := conn.Read(buf)
				if err != nil {
					return
				}
				r := new(dns.Msg)
				if err := r.Unpack(buf[:n]); err != nil {
					t.Errorf("answer does not unpack: %v", err)
					return
				}
				mu.Lock()
				in += n
				if r.Truncated {
					slipped++
				} else {
					full++
				}
				mu.Unlock()
			}
		})
		wg.Go(func() { // about 4000 queries per second in all: 80 times the rate
			tick := time.NewTicker(8 * time.Millisecond)
			defer tick.Stop()
			for range each {
				if _, err := conn.WriteToUDP(query, server); err != nil {
					t.Errorf("flood write: %v", err)
					return
				}
				mu.Lock()
				out += len(query)
				mu.Unlock()
				<-tick.C
			}
		})
	}

	// Another prefix is answered while the flood runs.
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 9, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 20 {
		r := exchangeFrom(t, other, server, newQuery(testOrigin, dns.TypeNS, withEDNS(4096)))
		if r.Truncated || len(r.Answer) != 10 {
			t.Fatalf("query %d from 127.0.9.1 during the flood: TC=%v, %d answers", i, r.Truncated, len(r.Answer))
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	// The flooding prefix's TCP retry is never limited.
	tcp, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 5, 77)}, Timeout: 2 * time.Second}).Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	for range 3 * rate { // more than the UDP rate allows
		r, err := askTCP(&dns.Conn{Conn: tcp}, newQuery(testOrigin, dns.TypeNS, withEDNS(4096)), 2*time.Second)
		if err != nil || r.Truncated || len(r.Answer) != 10 {
			t.Fatalf("TCP from the flooding prefix: err %v, answer %v", err, r)
		}
	}

	st := limiter.Stats()
	queries := senders * each
	t.Logf("flood of %d queries from 127.0.5.0/24 over %s: received %d bytes from the prefix, sent %d bytes to it (%d full answers, %d truncated); limiter: %d limited, %d slipped, %d dropped",
		queries, elapsed.Round(time.Millisecond), out, in, full, slipped, st.Limited, st.Slipped, st.Dropped)
	t.Logf("without RRL the prefix would have got %d bytes", queries*(in-slipped*len(query))/max(full, 1))
	if in > out {
		t.Errorf("sent %d bytes to the flooding prefix, more than the %d received from it", in, out)
	}
	if maxFull := rate + int(elapsed.Seconds()*rate) + rate/2; full > maxFull {
		t.Errorf("%d full answers in %s, more than rate %d/s allows (%d)", full, elapsed, rate, maxFull)
	}
	if st.Limited == 0 || st.Slipped == 0 || st.Dropped == 0 || slipped == 0 {
		t.Errorf("nothing limited: %+v, %d truncated answers seen", st, slipped)
	}
	if slipped > int(st.Slipped) || full+int(st.Limited) > queries {
		t.Errorf("counts do not add up: %d full and %d truncated answers seen, %+v, %d queries", full, slipped, st, queries)
	}
	if n := strings.Count(ts.logs.String(), "rate limiting UDP responses"); n != 1 {
		t.Errorf("%d log lines about the flooding prefix, want 1 (once a minute):\n%s", n, ts.logs)
	}
}

// exchangeFrom sends q over conn to server and waits for its answer,
// trying three times as a resolver would.
func exchangeFrom(t *testing.T, conn *net.UDPConn, server *net.UDPAddr, q *dns.Msg) *dns.Msg {
	t.Helper()
	buf := make([]byte, 65535)
	for try := range 3 {
		if _, err := conn.WriteToUDP(pack(t, q), server); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				t.Logf("try %d: no answer: %v", try+1, err)
				break
			}
			r := new(dns.Msg)
			if err := r.Unpack(buf[:n]); err != nil {
				t.Fatal(err)
			}
			if r.Id == q.Id {
				return r
			}
		}
	}
	t.Fatalf("no answer to %s after three tries", q.Question[0].String())
	return nil
}

// limitedServer returns a server (not running) that answers through
// answerLimited with limiter.
func limitedServer(t testing.TB, limiter *rrl.Limiter, snap *Snapshot) *Server {
	s := New(Config{UDPAddr: "127.0.0.1:0", RRL: limiter}, slog.New(slog.DiscardHandler))
	s.Swap(snap)
	return s
}

// TestRRLSlip checks the truncated answers RRL sends: TC, rcode and AA of
// the full answer, the question and OPT only, never larger than the query.
func TestRRLSlip(t *testing.T) {
	s := limitedServer(t, rrl.New(rrl.Config{Rate: 1, Burst: 1, Slip: 1}), mustCompile(t, manyNSZone(10)))
	from := netip.MustParseAddr("192.0.2.1")
	cases := []struct {
		name  string
		q     *dns.Msg
		rcode int
		aa    bool
	}{
		{"NS with EDNS", newQuery(testOrigin, dns.TypeNS, withEDNS(4096)), dns.RcodeSuccess, true},
		{"NS with DO", newQuery(testOrigin, dns.TypeNS, withDO()), dns.RcodeSuccess, true},
		{"TXT without EDNS", newQuery(testSignal, dns.TypeTXT), dns.RcodeSuccess, true},
		{"NXDOMAIN", newQuery("nope."+testOrigin, dns.TypeA, withEDNS(1232)), dns.RcodeNameError, true},
		{"REFUSED", newQuery("example.org.", dns.TypeA), dns.RcodeRefused, false},
	}
	s.answerLimited(nil, pack(t, cases[0].q), from) // spends the one token
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := pack(t, c.q)
			out := s.answerLimited(nil, q, from)
			r := new(dns.Msg)
			if err := r.Unpack(out); err != nil {
				t.Fatalf("slipped answer does not unpack: %v", err)
			}
			if !r.Truncated || r.Rcode != c.rcode || r.Authoritative != c.aa || r.Id != c.q.Id ||
				len(r.Question) != 1 || len(r.Answer)+len(r.Ns) != 0 || len(r.Extra) != len(c.q.Extra) {
				t.Fatalf("want TC, %s, AA %v, the question and OPT only; got\n%v", dns.RcodeToString[c.rcode], c.aa, r)
			}
			if len(out) > len(q) {
				t.Fatalf("slipped answer of %d bytes to a query of %d", len(out), len(q))
			}
		})
	}
	t.Run("signed query dropped", func(t *testing.T) {
		m := newQuery(testOrigin, dns.TypeSOA)
		m.SetTsig(xfrKey, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
		b, _, err := dns.TsigGenerate(m, xfrSecret, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if out := s.answerLimited(nil, b, from); out != nil {
			t.Fatalf("a limited signed query got an unsigned truncated answer")
		}
	})
	t.Run("responses and runts cost nothing", func(t *testing.T) {
		before := s.cfg.RRL.Stats()
		resp := pack(t, newQuery(testSignal, dns.TypeTXT))
		resp[2] |= flagQR
		for _, m := range [][]byte{resp, {1, 2, 3}} {
			if s.answerLimited(nil, m, from) != nil {
				t.Fatal("answered a response or a runt")
			}
		}
		if after := s.cfg.RRL.Stats(); after != before {
			t.Fatalf("stats moved from %+v to %+v", before, after)
		}
	})
}

func TestRRLExempt(t *testing.T) {
	limiter := rrl.New(rrl.Config{Rate: 1, Slip: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28")}})
	s := limitedServer(t, limiter, mustCompile(t, testZone()))
	q := pack(t, newQuery(testSignal, dns.TypeTXT))
	for range 100 {
		out := s.answerLimited(nil, q, netip.MustParseAddr("192.0.2.3"))
		if r := new(dns.Msg); r.Unpack(out) != nil || r.Truncated || len(r.Answer) != 1 {
			t.Fatal("an exempt source was limited")
		}
	}
	if st := limiter.Stats(); st.Limited != 0 {
		t.Fatalf("exempt queries counted: %+v", st)
	}
}

// TestRRLNoAllocs checks that answering under RRL allocates nothing,
// whatever the limiter decides.
func TestRRLNoAllocs(t *testing.T) {
	limiters := map[string]*rrl.Limiter{
		"send":     rrl.New(rrl.Config{Rate: 1 << 30}),
		"truncate": rrl.New(rrl.Config{Rate: 1, Burst: 1, Slip: 1}),
		"drop":     rrl.New(rrl.Config{Rate: 1, Burst: 1}),
	}
	snap := mustCompile(t, testZone())
	q := pack(t, newQuery(testSignal, dns.TypeTXT, withEDNS(1232)))
	from := netip.MustParseAddr("192.0.2.1")
	for name, l := range limiters {
		t.Run(name, func(t *testing.T) {
			s := limitedServer(t, l, snap)
			dst := make([]byte, 0, maxMessageSize)
			s.answerLimited(dst, q, from) // spend the token, log once
			if n := testing.AllocsPerRun(200, func() { s.answerLimited(dst, q, from) }); n != 0 {
				t.Fatalf("%v allocations per query", n)
			}
		})
	}
}

func BenchmarkAnswerUDP(b *testing.B) {
	snap := mustCompile(b, testZone())
	q := pack(b, newQuery(testSignal, dns.TypeTXT, withEDNS(1232)))
	from := netip.MustParseAddr("192.0.2.1")
	dst := make([]byte, 0, maxMessageSize)
	b.Run("no RRL", func(b *testing.B) {
		s := limitedServer(b, nil, snap)
		b.ReportAllocs()
		for b.Loop() {
			s.answerUDP(dst, q, from)
		}
	})
	b.Run("RRL send", func(b *testing.B) {
		s := limitedServer(b, rrl.New(rrl.Config{Rate: 1 << 30}), snap)
		b.ReportAllocs()
		for b.Loop() {
			s.answerLimited(dst, q, from)
		}
	})
	b.Run("RRL drop", func(b *testing.B) {
		s := limitedServer(b, rrl.New(rrl.Config{Rate: 1, Burst: 1}), snap)
		b.ReportAllocs()
		for b.Loop() {
			s.answerLimited(dst, q, from)
		}
	})
}
