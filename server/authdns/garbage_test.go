package authdns

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// garbageSeed makes the packet stream reproducible.
const garbageSeed = 20240101

// garbage returns n packets: random bytes, and valid queries that are bit
// flipped, overwritten, truncated, extended or spliced.
func garbage(t *testing.T, r *rand.Rand, n int) [][]byte {
	valid := [][]byte{
		pack(t, newQuery(testSignal, dns.TypeTXT)),
		pack(t, newQuery(testSignal, dns.TypeTXT, withDO())),
		pack(t, newQuery(testOrigin, dns.TypeNS, withEDNS(512))),
		pack(t, newQuery("nope."+testOrigin, dns.TypeANY)),
		twoOPT(t),
		answerInQuery(t),
	}
	out := make([][]byte, 0, n)
	for range n {
		b := append([]byte(nil), valid[r.IntN(len(valid))]...)
		switch r.IntN(6) {
		case 0: // random bytes
			b = make([]byte, r.IntN(600))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
		case 1: // bit flips
			for range 1 + r.IntN(8) {
				b[r.IntN(len(b))] ^= 1 << r.IntN(8)
			}
		case 2: // random bytes over a random span
			for i, end := r.IntN(len(b)), 0; end < 1+r.IntN(16) && i < len(b); i, end = i+1, end+1 {
				b[i] = byte(r.Uint32())
			}
		case 3: // truncated
			b = b[:r.IntN(len(b))]
		case 4: // counts set to random values
			binary.BigEndian.PutUint16(b[4+2*r.IntN(4):], uint16(r.Uint32()))
		case 5: // random tail
			for range r.IntN(100) {
				b = append(b, byte(r.Uint32()))
			}
		}
		if len(b) > 2 && r.IntN(4) > 0 {
			b[2] &^= flagQR // mostly queries, so most get answers
		}
		out = append(out, b)
	}
	return out
}

// TestServerSurvivesGarbage sends thousands of random and mutated packets
// over UDP and TCP, checks every response it gets, and then that the
// server still answers correctly and never panicked.
func TestServerSurvivesGarbage(t *testing.T) {
	cfg := Config{TCPIdleTimeout: time.Second, TCPReadTimeout: 200 * time.Millisecond}
	ts := startServer(t, cfg, mustCompile(t, testZone()))
	r := rand.New(rand.NewPCG(garbageSeed, 1))
	packets := garbage(t, r, 6000)
	deadline := time.Now().Add(30 * time.Second)

	t.Run("udp", func(t *testing.T) { garbageUDP(t, ts, packets[:4000], deadline) })
	t.Run("tcp", func(t *testing.T) { garbageTCP(t, ts, packets[4000:], deadline) })
	t.Run("tcp stalled and cut messages", func(t *testing.T) { stalledTCP(t, ts) })
	t.Run("still answers", func(t *testing.T) {
		for _, network := range []string{"udp", "tcp"} {
			q := newQuery(testSignal, dns.TypeTXT)
			m := ts.exchange(t, network, q)
			checkResponse(t, pack(t, q), pack(t, m), m, want{aa: true, an: 1, question: true,
				answer: []string{rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)}})
		}
	})
	if strings.Contains(ts.logs.String(), "panic") {
		t.Fatalf("the server panicked:\n%s", ts.logs)
	}
}

// garbageUDP sends packets from one socket and checks what comes back.
func garbageUDP(t *testing.T, ts *testServer, packets [][]byte, deadline time.Time) {
	conn, err := net.Dial("udp", ts.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var wg sync.WaitGroup
	var got int
	wg.Go(func() {
		buf := make([]byte, maxMessageSize)
		for {
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got++
			checkGarbageResponse(t, buf[:n], DefaultMaxUDPSize)
		}
	})
	for i, p := range packets {
		if time.Now().After(deadline) {
			t.Fatalf("out of time after %d packets", i)
		}
		conn.Write(p)
		if i%64 == 0 {
			time.Sleep(time.Millisecond) // let the reader keep up; losses are fine
		}
	}
	wg.Wait()
	if got < len(packets)/4 {
		t.Errorf("only %d responses to %d packets", got, len(packets))
	}
}

// garbageTCP sends the packets framed over a few connections, each time
// followed by a valid marker query, and checks every response up to the
// marker's.
func garbageTCP(t *testing.T, ts *testServer, packets [][]byte, deadline time.Time) {
	const perConn = 100
	for start := 0; start < len(packets); start += perConn {
		conn := ts.dialTCP(t)
		conn.SetDeadline(deadline)
		var burst []byte
		for _, p := range packets[start:min(start+perConn, len(packets))] {
			burst = binary.BigEndian.AppendUint16(burst, uint16(len(p)))
			burst = append(burst, p...)
		}
		marker := newQuery(testSignal, dns.TypeTXT)
		marker.Id = 0xfeed
		mb := pack(t, marker)
		burst = append(binary.BigEndian.AppendUint16(burst, uint16(len(mb))), mb...)
		if _, err := conn.Conn.Write(burst); err != nil {
			t.Fatal(err)
		}
		for {
			var prefix [2]byte
			if _, err := conn.Conn.Read(prefix[:1]); err != nil {
				t.Fatalf("connection %d: %v before the marker's answer", start/perConn, err)
			}
			if _, err := conn.Conn.Read(prefix[1:]); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, binary.BigEndian.Uint16(prefix[:]))
			if _, err := readFull(conn.Conn, buf); err != nil {
				t.Fatal(err)
			}
			if m := checkGarbageResponse(t, buf, maxMessageSize); m != nil && m.Id == marker.Id && len(m.Answer) == 1 {
				break
			}
		}
		conn.Close()
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// stalledTCP opens connections that announce a message and never finish
// it, or cut it short; the server must close them after the read timeout.
func stalledTCP(t *testing.T, ts *testServer) {
	for _, partial := range [][]byte{{0xff, 0xff}, {0x00}, {0x00, 0x20, 1, 2, 3}} {
		conn := ts.dialTCP(t)
		if _, err := conn.Conn.Write(partial); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, conn.Conn, 5*time.Second)
	}
}

// checkGarbageResponse checks one response and returns it unpacked, or nil.
func checkGarbageResponse(t *testing.T, b []byte, limit int) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Errorf("response does not unpack: %v: % x", err, b)
		return nil
	}
	if !m.Response || m.RecursionAvailable || len(b) > limit {
		t.Errorf("bad response (%d bytes, limit %d):\n%v", len(b), limit, m)
	}
	return m
}
