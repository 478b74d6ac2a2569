package authdns

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/rrl"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// TestServerUDPBurst sends from several sockets at once, interleaved so
// that the worker's batches mix them: varied valid queries (one of which
// panics, one longer than a batch slot, some malformed) from four exempt
// sources, a flood over the rate limit from a fifth, garbage from a sixth.
// Every query from the exempt sources must get exactly its own answer,
// byte for byte, matched by ID (resent, as a resolver would, when the
// kernel dropped it); the flood gets only its own IDs back, full or
// truncated; garbage gets only well-formed responses.
func TestServerUDPBurst(t *testing.T) {
	const (
		clients  = 4
		perConn  = 1500
		floodN   = 600
		garbageN = 1500
	)
	limiter := rrl.New(rrl.Config{Rate: 20, Slip: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.1.0/24")}})
	ts := startServer(t, Config{RRL: limiter}, panickingSnapshot(t))
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ts.udp))
	templates := burstTemplates(t)

	var sources []*burstSource
	for c := range clients {
		src := netip.AddrFrom4([4]byte{127, 0, 1, byte(c + 1)})
		s := &burstSource{conn: listenUDPFrom(t, src), packets: burstQueries(templates, perConn, uint64(c))}
		s.want = make([][]byte, len(s.packets)) // what the server answers each alone
		for i, q := range s.packets {
			s.want[i] = ts.answerDatagram(nil, q[:min(len(q), udpQueryMax)], src, len(q) > udpQueryMax)
		}
		s.got = make([]bool, len(s.packets))
		sources = append(sources, s)
	}
	flood := &burstSource{conn: listenUDPFrom(t, netip.MustParseAddr("127.0.9.1")), check: floodCheck(floodN)}
	for i := range floodN {
		flood.packets = append(flood.packets, pack(t, &dns.Msg{MsgHdr: dns.MsgHdr{Id: uint16(i)}, Question: newQuery(testSignal, dns.TypeTXT).Question}))
	}
	junk := &burstSource{conn: listenUDPFrom(t, netip.MustParseAddr("127.0.8.1")), check: func(t *testing.T, b []byte) {
		checkGarbageResponse(t, b, DefaultMaxUDPSize)
	}}
	junk.packets = garbage(t, rand.New(rand.NewPCG(garbageSeed, 3)), garbageN)

	panics := ts.panics.count.Load()
	var answers atomic.Int64
	var readers sync.WaitGroup
	for _, s := range append(sources, flood, junk) {
		readers.Go(func() { s.read(t, &answers) })
	}
	sendInterleaved(append(sources, flood, junk), server)
	for range 10 {
		waitQuiet(&answers)
		if missing(sources) == 0 {
			break
		}
		sendInterleaved(sources, server)
	}
	for _, s := range append(sources, flood, junk) {
		s.conn.Close()
	}
	readers.Wait()

	if n := missing(sources); n > 0 {
		t.Errorf("%d of %d queries never answered", n, clients*perConn)
	}
	if st := limiter.Stats(); st.Slipped == 0 || st.Dropped == 0 {
		t.Errorf("the flood was not limited: %+v", st)
	}
	if ts.panics.count.Load() == panics {
		t.Errorf("no panic while serving: the boom queries did not reach the corrupt node")
	}
}

// burstSource is one client socket of TestServerUDPBurst: what it sends
// and how its answers are checked, against want by ID (got records them)
// or by check.
type burstSource struct {
	conn    *net.UDPConn
	packets [][]byte
	want    [][]byte
	check   func(t *testing.T, b []byte)

	mu  sync.Mutex
	got []bool
}

func listenUDPFrom(t *testing.T, src netip.Addr) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadBuffer(1 << 20)
	return conn
}

// sendInterleaved sends what each source still has to send, one packet
// from each in turn, pausing briefly every few rounds so that the bursts
// mostly fit in the server's socket buffer.
func sendInterleaved(sources []*burstSource, server *net.UDPAddr) {
	longest := 0
	for _, s := range sources {
		longest = max(longest, len(s.packets))
	}
	for i := range longest {
		for _, s := range sources {
			if i < len(s.packets) && s.pending(i) {
				s.conn.WriteToUDP(s.packets[i], server)
			}
		}
		if i%16 == 15 {
			time.Sleep(time.Millisecond)
		}
	}
}

// pending reports whether packet i is still to be sent: not answered yet,
// for a source that checks by ID.
func (s *burstSource) pending(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got == nil || !s.got[i]
}

// read checks answers until the socket is closed.
func (s *burstSource) read(t *testing.T, answers *atomic.Int64) {
	buf := make([]byte, maxMessageSize)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		answers.Add(1)
		if s.check != nil {
			s.check(t, buf[:n])
			continue
		}
		id := -1
		if n >= headerLen {
			id = int(binary.BigEndian.Uint16(buf))
		}
		if id < 0 || id >= len(s.want) || !bytes.Equal(buf[:n], s.want[id]) {
			t.Errorf("answer with ID %d is not the answer to query %d:\n got % x\nwant % x", id, id, buf[:n], s.want[max(0, min(id, len(s.want)-1))])
			continue
		}
		s.mu.Lock()
		s.got[id] = true
		s.mu.Unlock()
	}
}

func missing(sources []*burstSource) int {
	n := 0
	for _, s := range sources {
		for i := range s.packets {
			if s.pending(i) {
				n++
			}
		}
	}
	return n
}

// waitQuiet returns once no answer has come for a while.
func waitQuiet(answers *atomic.Int64) {
	for {
		before := answers.Load()
		time.Sleep(300 * time.Millisecond)
		if answers.Load() == before {
			return
		}
	}
}

// floodCheck checks an answer to the flood: one of its n IDs, the TXT
// answer in full or truncated.
func floodCheck(n int) func(t *testing.T, b []byte) {
	return func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil || int(r.Id) >= n || r.Rcode != dns.RcodeSuccess ||
			len(r.Question) != 1 || !r.Truncated && len(r.Answer) != 1 {
			t.Errorf("flood answer: err %v\n%v", err, r)
		}
	}
}

// burstTemplates returns the queries the exempt clients send; their IDs
// are overwritten per copy.
func burstTemplates(t *testing.T) [][]byte {
	long := pack(t, newQuery(testSignal, dns.TypeTXT))
	long = append(long, make([]byte, udpQueryMax+100)...) // cut by the kernel: FORMERR
	return [][]byte{
		pack(t, newQuery(testSignal, dns.TypeTXT)),
		pack(t, newQuery("CuRrEnT.MiRrOrS.example.TEST.", dns.TypeTXT, withDO())),
		pack(t, newQuery(testOrigin, dns.TypeNS, withEDNS(512))),
		pack(t, newQuery(testOrigin, dns.TypeSOA, withCD())),
		pack(t, newQuery(testTrees, dns.TypeTXT, withEDNS(1232))),
		pack(t, newQuery("nope."+testOrigin, dns.TypeA, withEDNS(1232))),
		pack(t, newQuery("example.org.", dns.TypeA)),
		pack(t, newQuery(testOrigin, dns.TypeANY, withoutRD())),
		pack(t, newQuery("boom."+testOrigin, dns.TypeTXT)), // panics: SERVFAIL
		pack(t, newQuery(testSignal, dns.TypeTXT, withClass(dns.ClassCHAOS))),
		pack(t, newQuery(testSignal, dns.TypeTXT, withOpcode(dns.OpcodeUpdate))),
		twoOPT(t),
		answerInQuery(t),
		long,
	}
}

// burstQueries returns n queries drawn from templates, the i-th with ID i.
func burstQueries(templates [][]byte, n int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([][]byte, n)
	for i := range out {
		q := bytes.Clone(templates[r.IntN(len(templates))])
		binary.BigEndian.PutUint16(q, uint16(i))
		out[i] = q
	}
	return out
}

// TestServerUDPSources checks that the batch path decodes the source
// address and answers to it, for IPv4, IPv6 and IPv4 on a dual-stack
// socket, through the NOTIFY log line, which names the source.
func TestServerUDPSources(t *testing.T) {
	cases := []struct {
		name, listen, dial, from string
		v6                       bool // needs IPv6: skipped on a host without ::1
	}{
		{"ipv4", "127.0.0.1:0", "127.0.0.1", "127.0.0.1", false},
		{"ipv6", "[::1]:0", "::1", "::1", true},
		{"ipv4 on dual stack", "[::]:0", "127.0.0.1", "::ffff:127.0.0.1", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.v6 {
				pc, err := net.ListenPacket("udp6", "[::1]:0")
				if err != nil {
					t.Skipf("this host cannot bind UDP on [::1] (no IPv6 loopback): %v", err)
				}
				pc.Close()
			}
			logs := &testtool.Buffer{}
			s := New(Config{UDPAddr: c.listen}, slog.New(slog.NewTextHandler(logs, nil)))
			s.Swap(mustCompile(t, testZone()))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			select {
			case <-s.Ready():
			case err := <-done:
				done <- nil
				t.Fatalf("server on %s stopped before it was ready: %v", c.listen, err)
			}
			udp, _ := s.Addrs()
			addr := net.JoinHostPort(c.dial, fmt.Sprint(udp.(*net.UDPAddr).Port))
			client := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for _, q := range []*dns.Msg{newQuery(testSignal, dns.TypeTXT), newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeNotify))} {
				r, _, err := client.Exchange(q, addr)
				if err != nil || r.Id != q.Id || (q.Opcode == dns.OpcodeQuery) != (len(r.Answer) == 1) {
					t.Fatalf("exchange %s: %v\n%v", q.Question[0].String(), err, r)
				}
			}
			if want := "from=" + c.from + " "; !strings.Contains(logs.String(), want) {
				t.Errorf("log does not name the source %s:\n%s", c.from, logs)
			}
		})
	}
}

// TestServerUDPNoAllocs checks that the UDP path, batches included,
// allocates nothing per query in steady state.
func TestServerUDPNoAllocs(t *testing.T) {
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	conn := listenUDPFrom(t, netip.MustParseAddr("127.0.0.1"))
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	server := netip.MustParseAddrPort(ts.udp)
	q := pack(t, newQuery(testSignal, dns.TypeTXT, withDO()))
	buf := make([]byte, maxMessageSize)
	exchange := func(burst int) {
		for range burst {
			if _, err := conn.WriteToUDPAddrPort(q, server); err != nil {
				t.Fatal(err)
			}
		}
		for range burst {
			if _, err := conn.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	exchange(16) // warm up
	const rounds, burst = 200, 16
	if n := testing.AllocsPerRun(rounds, func() { exchange(burst) }); n/burst > 0.05 {
		t.Fatalf("%.2f allocations per query", n/burst)
	}
}
