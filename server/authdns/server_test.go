package authdns

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

type testServer struct {
	*Server
	udp, tcp string
	logs     *testtool.Buffer
}

// startServer runs a server on loopback ports serving snap (nil: none
// yet) and stops it at the end of the test, failing if Run failed.
func startServer(t *testing.T, cfg Config, snap *Snapshot) *testServer {
	t.Helper()
	cfg.UDPAddr, cfg.TCPAddr = "127.0.0.1:0", "127.0.0.1:0"
	logs := &testtool.Buffer{}
	s := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.Swap(snap)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("server not ready after 5s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	udp, tcp := s.Addrs()
	return &testServer{Server: s, udp: udp.String(), tcp: tcp.String(), logs: logs}
}

// exchange sends m over network ("udp" or "tcp") to the server.
func (ts *testServer) exchange(t *testing.T, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	addr := ts.udp
	if network == "tcp" {
		addr = ts.tcp
	}
	c := &dns.Client{Net: network, Timeout: 2 * time.Second, UDPSize: 65535}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s exchange %s: %v", network, m.Question[0].String(), err)
	}
	return r
}

func TestServerAnswers(t *testing.T) {
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	txt := rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)
	negSOA := rr(t, testOrigin+" 300 IN SOA ns1.mirrors.example.test. hostmaster.mirrors.example.test. 2024010101 7200 3600 1209600 300")
	cases := []struct {
		name string
		q    *dns.Msg
		want want
	}{
		{"signal TXT", newQuery(testSignal, dns.TypeTXT),
			want{aa: true, an: 1, answer: []string{txt}, question: true}},
		{"signal TXT with EDNS", newQuery(testSignal, dns.TypeTXT, withEDNS(1232)),
			want{aa: true, an: 1, ar: 1, answer: []string{txt}, opt: true, question: true}},
		{"mixed case", newQuery("cUrReNt.MiRrOrS.example.test.", dns.TypeTXT),
			want{aa: true, an: 1, answer: []string{rr(t, `cUrReNt.MiRrOrS.example.test. 300 IN TXT "`+testRecord+`"`)}, question: true}},
		{"NODATA", newQuery(testSignal, dns.TypeAAAA),
			want{aa: true, ns: 1, authority: []string{negSOA}, question: true}},
		{"NXDOMAIN", newQuery("nope."+testOrigin, dns.TypeTXT),
			want{rcode: dns.RcodeNameError, aa: true, ns: 1, authority: []string{negSOA}, question: true}},
		{"REFUSED", newQuery("example.org.", dns.TypeTXT), want{rcode: dns.RcodeRefused, question: true}},
		{"NOTIMP", newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeUpdate)), want{rcode: dns.RcodeNotImplemented, question: true}},
		{"NOTIFY refused", newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeNotify)), want{rcode: dns.RcodeRefused, question: true}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				r := ts.exchange(t, network, c.q)
				checkResponse(t, pack(t, c.q), pack(t, r), r, c.want)
			})
		}
	}
}

func TestServerNotReady(t *testing.T) {
	ts := startServer(t, Config{}, nil)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			if r := ts.exchange(t, network, newQuery(testSignal, dns.TypeTXT)); r.Rcode != dns.RcodeServerFailure {
				t.Fatalf("rcode %s before the first Swap, want SERVFAIL", dns.RcodeToString[r.Rcode])
			}
		})
	}
}

func TestServerTruncationThenTCP(t *testing.T) {
	ts := startServer(t, Config{}, mustCompile(t, manyNSZone(40)))
	q := newQuery(testOrigin, dns.TypeNS)
	r := ts.exchange(t, "udp", q)
	if !r.Truncated || len(r.Answer) != 0 || len(r.Ns) != 0 || len(r.Extra) != 0 || len(r.Question) != 1 {
		t.Fatalf("UDP: want TC with only the question, got\n%v", r)
	}
	r = ts.exchange(t, "tcp", q)
	if r.Truncated || len(r.Answer) != 40 || len(r.Extra) != 40 {
		t.Fatalf("TCP: want the full answer, got TC=%v %d answers %d additional", r.Truncated, len(r.Answer), len(r.Extra))
	}
	r = ts.exchange(t, "udp", newQuery(testOrigin, dns.TypeNS, withEDNS(1232)))
	if r.Truncated || len(r.Answer) != 40 || len(r.Extra) != 1 {
		t.Fatalf("UDP with EDNS 1232: want the NS RRset without glue, got TC=%v %d answers %d additional", r.Truncated, len(r.Answer), len(r.Extra))
	}
}

// dialTCP opens a DNS-over-TCP connection to the server.
func (ts *testServer) dialTCP(t *testing.T) *dns.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ts.tcp, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &dns.Conn{Conn: c}
}

func TestServerTCPManyQueries(t *testing.T) {
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	conn := ts.dialTCP(t)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	t.Run("one after another", func(t *testing.T) {
		for i := range 500 {
			q := newQuery(testSignal, dns.TypeTXT)
			q.Id = uint16(i)
			if err := conn.WriteMsg(q); err != nil {
				t.Fatalf("query %d: %v", i, err)
			}
			r, err := conn.ReadMsg()
			if err != nil || r.Id != uint16(i) || len(r.Answer) != 1 {
				t.Fatalf("query %d: err %v, response %v", i, err, r)
			}
		}
	})
	t.Run("pipelined", func(t *testing.T) {
		const n = 300 // more than miekg's default of 128 per connection
		var burst []byte
		for i := range n {
			b := pack(t, newQuery(testSignal, dns.TypeTXT))
			b[0], b[1] = byte(i>>8), byte(i)
			burst = append(burst, byte(len(b)>>8), byte(len(b)))
			burst = append(burst, b...)
		}
		if _, err := conn.Conn.Write(burst); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			r, err := conn.ReadMsg()
			if err != nil || r.Id != uint16(i) || len(r.Answer) != 1 {
				t.Fatalf("answer %d: err %v, response %v", i, err, r)
			}
		}
	})
}

// expectClosed asserts that the server closes conn within limit.
func expectClosed(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	_, err := conn.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v, want the server to close the connection within %s", err, limit)
	}
	return time.Since(start)
}

func TestServerTCPIdleTimeout(t *testing.T) {
	// Generous against a loaded CI machine: activity every idle/4 must keep
	// the connection open even when the test is scheduled late.
	const idle = 2 * time.Second
	ts := startServer(t, Config{TCPIdleTimeout: idle}, mustCompile(t, testZone()))
	conn := ts.dialTCP(t)
	for range 3 { // activity keeps the connection open past one idle period
		if err := conn.WriteMsg(newQuery(testSignal, dns.TypeTXT)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ReadMsg(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(idle / 4)
	}
	if took := expectClosed(t, conn.Conn, 10*time.Second); took < idle/3 {
		t.Fatalf("closed after %s, before the idle timeout of %s", took, idle)
	}
}

func TestServerTCPMaxQueries(t *testing.T) {
	ts := startServer(t, Config{MaxTCPQueries: 3}, mustCompile(t, testZone()))
	conn := ts.dialTCP(t)
	for i := range 3 {
		if err := conn.WriteMsg(newQuery(testSignal, dns.TypeTXT)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ReadMsg(); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
	}
	expectClosed(t, conn.Conn, 2*time.Second)
}

func TestServerSwap(t *testing.T) {
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	for i, stamp := range []int64{1700000000, 1700000001, 1700000002} {
		z := testZone()
		z.SOA.Serial = uint32(100 + i)
		z.Record = signal.Record{Layout: signal.Layout{"content"}, Stamps: []int64{stamp}}
		ts.Swap(mustCompile(t, z))
		for _, network := range []string{"udp", "tcp"} {
			r := ts.exchange(t, network, newQuery(testSignal, dns.TypeTXT))
			got := r.Answer[0].(*dns.TXT).Txt[0]
			if want := (signal.Record{Stamps: []int64{stamp}}).String(); got != want {
				t.Fatalf("%s after Swap %d: TXT %q, want %q", network, i, got, want)
			}
			soa := ts.exchange(t, network, newQuery(testOrigin, dns.TypeSOA)).Answer[0].(*dns.SOA)
			if soa.Serial != uint32(100+i) {
				t.Fatalf("%s after Swap %d: serial %d", network, i, soa.Serial)
			}
		}
	}
}

// panickingSnapshot returns a copy of a good snapshot in which one name
// has no precomputed NODATA, so answering it dereferences nil.
func panickingSnapshot(t *testing.T) *Snapshot {
	good := mustCompile(t, testZone())
	bad := *good
	bad.names = maps.Clone(good.names)
	key, err := nameWire("boom." + testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	bad.names[string(key)] = &node{}
	return &bad
}

func TestServerRecoversFromPanic(t *testing.T) {
	bad := panickingSnapshot(t)
	func() { // the snapshot really panics, so the test below tests recovery
		defer func() {
			if recover() == nil {
				t.Fatal("the corrupt snapshot did not panic; the test is void")
			}
		}()
		bad.respond(nil, pack(t, newQuery("boom."+testOrigin, dns.TypeTXT)), DefaultMaxUDPSize, false)
	}()

	ts := startServer(t, Config{}, bad)
	for range 3 {
		for _, network := range []string{"udp", "tcp"} {
			q := newQuery("BOOM."+testOrigin, dns.TypeTXT)
			if r := ts.exchange(t, network, q); r.Rcode != dns.RcodeServerFailure || r.Id != q.Id || r.RecursionAvailable {
				t.Fatalf("%s: want SERVFAIL with the query's ID, got\n%v", network, r)
			}
			if r := ts.exchange(t, network, newQuery(testSignal, dns.TypeTXT)); len(r.Answer) != 1 {
				t.Fatalf("%s: other names stop working after a panic:\n%v", network, r)
			}
		}
	}
	if n := strings.Count(ts.logs.String(), "panic answering a query"); n != 1 {
		t.Errorf("6 panics logged %d times, want once:\n%s", n, ts.logs)
	}
	ts.Swap(mustCompile(t, testZone()))
	if r := ts.exchange(t, "udp", newQuery("boom."+testOrigin, dns.TypeTXT)); r.Rcode != dns.RcodeNameError {
		t.Fatalf("after swapping in a good zone: %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}

func TestServerShutdownIsPrompt(t *testing.T) {
	cfg := Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", TCPIdleTimeout: time.Minute}
	s := New(cfg, slog.New(slog.DiscardHandler))
	s.Swap(mustCompile(t, testZone()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	_, tcp := s.Addrs()
	conn, err := net.Dial("tcp", tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &dns.Conn{Conn: conn}
	if err := c.WriteMsg(newQuery(testSignal, dns.TypeTXT)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return within 3s with an idle TCP connection open")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("shutdown took %s", took)
	}
	expectClosed(t, conn, time.Second)
}

func TestServerRunErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing to serve", Config{}, "both empty"},
		{"UDP size too small", Config{UDPAddr: "127.0.0.1:0", MaxUDPSize: 100}, "MaxUDPSize"},
		{"negative query limit", Config{TCPAddr: "127.0.0.1:0", MaxTCPQueries: -1}, "MaxTCPQueries"},
		{"negative timeout", Config{TCPAddr: "127.0.0.1:0", TCPIdleTimeout: -time.Second}, "TCPIdleTimeout"},
		{"address in use", Config{TCPAddr: busy.Addr().String()}, "dns listen tcp"},
		{"bad address", Config{UDPAddr: "nonsense"}, "dns listen udp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := New(c.cfg, slog.New(slog.DiscardHandler)).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run: %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	t.Run("second Run", func(t *testing.T) {
		ts := startServer(t, Config{}, nil)
		if err := ts.Run(context.Background()); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Run: %v, want ErrRunning", err)
		}
	})
}

// TestServerUDPOnly serves UDP alone when TCPAddr is empty.
func TestServerUDPOnly(t *testing.T) {
	s := New(Config{UDPAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if u, c := s.Addrs(); u != nil || c != nil {
		t.Fatalf("Addrs before Run: %v %v, want nils", u, c)
	}
	s.Swap(mustCompile(t, testZone()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	udp, tcp := s.Addrs()
	if tcp != nil {
		t.Errorf("TCP address %v with TCP disabled", tcp)
	}
	r, _, err := (&dns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(newQuery(testSignal, dns.TypeTXT), udp.String())
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("UDP exchange: %v %v", err, r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
