package authdns

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// soakEnv sets the soak's duration (e.g. "5m"); without it TestSoak runs
// for soakDefault, which `make test` can afford.
const (
	soakEnv     = "MIRRORSIGNAL_SOAK"
	soakDefault = 2 * time.Second
)

// soakCounts counts the load sent and the answers seen, by kind.
type soakCounts struct {
	sent, answered, tcp, garbage, swaps atomic.Int64
}

// TestSoak runs a mixed load against a signed zone with RRL on, swapping
// in a newly signed zone every second as signald does on publish: UDP
// queries without and with DO, pipelined TCP on connections that are
// reopened now and then, NXDOMAIN for ever-new names, garbage, and a
// flood from another prefix that RRL limits. It reports the heap in use
// after warm-up, in the middle and at the end, and fails if it grew by
// more than the slack. Run it long with
//
//	MIRRORSIGNAL_SOAK=5m go test -run TestSoak -v ./server/authdns
func TestSoak(t *testing.T) {
	d := soakDefault
	if v := os.Getenv(soakEnv); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a duration such as 5m", soakEnv, v)
		}
	}
	k := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	limiter := rrl.New(rrl.Config{Rate: 200, Slip: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/24")}})
	ts := startServer(t, Config{RRL: limiter}, mustCompile(t, signZone(t, deepZone(), time.Now(), k)))

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var c soakCounts
	var wg sync.WaitGroup
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ts.udp))
	exempt, flood := net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 6, 1) // RRL limits the flood only
	load := []func(context.Context) error{
		func(ctx context.Context) error { return soakUDP(ctx, server, exempt, &c, soakQueries(t, false)) },
		func(ctx context.Context) error { return soakUDP(ctx, server, exempt, &c, soakQueries(t, true)) },
		func(ctx context.Context) error { return soakNXDomain(ctx, server, &c) },
		func(ctx context.Context) error { return soakGarbage(ctx, server, &c) },
		func(ctx context.Context) error { return soakUDP(ctx, server, flood, &c, soakQueries(t, true)) },
		func(ctx context.Context) error { return soakTCP(ctx, ts.tcp, &c, soakQueries(t, true)) },
		func(ctx context.Context) error { return soakSwap(ctx, t, ts.Server, k, &c) },
	}
	for _, f := range load {
		wg.Go(func() {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("load: %v", err)
				cancel()
			}
		})
	}

	warm := min(d/10, 30*time.Second)
	time.Sleep(warm)
	start := heapInUse()
	time.Sleep(d/2 - warm)
	middle := heapInUse()
	<-ctx.Done()
	wg.Wait()
	end := heapInUse()

	st := limiter.Stats()
	t.Logf("soak of %s: %d queries sent (%d over TCP, %d garbage), %d answers, %d zone swaps; RRL %d limited (%d slipped, %d dropped)",
		d, c.sent.Load(), c.tcp.Load(), c.garbage.Load(), c.answered.Load(), c.swaps.Load(), st.Limited, st.Slipped, st.Dropped)
	t.Logf("heap in use: %s after %s of warm-up, %s in the middle, %s at the end; %d goroutines at the end",
		mib(start), warm, mib(middle), mib(end), runtime.NumGoroutine())
	if c.answered.Load() == 0 || st.Limited == 0 {
		t.Errorf("the load did not reach the server")
	}
	if slack := uint64(8 << 20); end > start+slack && end > 2*start {
		t.Errorf("heap in use grew from %s to %s", mib(start), mib(end))
	}
}

// heapInUse returns HeapInuse after a garbage collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// soakQueries returns packed queries for every kind of answer the zone
// gives, with DO or without.
func soakQueries(t *testing.T, do bool) [][]byte {
	opts := []qopt{withEDNS(1232)}
	if do {
		opts = []qopt{withDO()}
	}
	var out [][]byte
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"current.sig." + testOrigin, dns.TypeTXT}, {"CURRENT.sig." + testOrigin, dns.TypeTXT},
		{"_trees.current.sig." + testOrigin, dns.TypeTXT}, {testOrigin, dns.TypeSOA}, {testOrigin, dns.TypeNS},
		{testOrigin, dns.TypeDNSKEY}, {testOrigin, dns.TypeANY}, {"sig." + testOrigin, dns.TypeTXT},
		{"nope." + testOrigin, dns.TypeA}, {"example.org.", dns.TypeA},
	} {
		out = append(out, pack(t, newQuery(q.name, q.qtype, opts...)))
	}
	return out
}

// soakUDP sends queries from src and counts the answers. A reader runs
// beside the writer, which keeps at most a window of queries unanswered
// (forgetting them after 10 ms), so that the load follows the server.
func soakUDP(ctx context.Context, server *net.UDPAddr, src net.IP, c *soakCounts, queries [][]byte) error {
	const window = 64
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: src})
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	var inflight atomic.Int64
	got := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, maxMessageSize)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
			c.answered.Add(1)
			inflight.Add(-1)
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	wait := time.NewTimer(0)
	for i := 0; ctx.Err() == nil; i++ {
		for inflight.Load() >= window {
			wait.Reset(10 * time.Millisecond)
			select {
			case <-got:
			case <-wait.C:
				inflight.Store(0) // lost or limited
			}
		}
		if _, err := conn.WriteToUDP(queries[i%len(queries)], server); err != nil {
			return err
		}
		inflight.Add(1)
		c.sent.Add(1)
	}
	return nil
}

// soakNXDomain asks for ever-new names below the zone, with DO.
func soakNXDomain(ctx context.Context, server *net.UDPAddr, c *soakCounts) error {
	conn, err := net.DialUDP("udp", nil, server)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, maxMessageSize)
	m := newQuery("x."+testOrigin, dns.TypeTXT, withDO())
	for i := 0; ctx.Err() == nil; i++ {
		m.Question[0].Name = fmt.Sprintf("n%d.x%d.%s", i, i%7, testOrigin)
		q, err := m.Pack()
		if err != nil {
			return err
		}
		if _, err := conn.Write(q); err != nil {
			return err
		}
		c.sent.Add(1)
		conn.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := conn.Read(buf); err == nil && n >= headerLen && buf[3]&0x0f == dns.RcodeNameError {
			c.answered.Add(1)
		} else if err == nil {
			return fmt.Errorf("NXDOMAIN query %s: rcode %d", m.Question[0].Name, buf[3]&0x0f)
		}
	}
	return nil
}

// soakGarbage sends random bytes, some with a query header.
func soakGarbage(ctx context.Context, server *net.UDPAddr, c *soakCounts) error {
	conn, err := net.DialUDP("udp", nil, server)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, maxMessageSize)
	msg := make([]byte, 600)
	for ctx.Err() == nil {
		n := rand.IntN(len(msg))
		for i := range n {
			msg[i] = byte(rand.Uint32())
		}
		if n > 3 {
			msg[2] &^= flagQR
		}
		if _, err := conn.Write(msg[:n]); err != nil {
			return err
		}
		c.sent.Add(1)
		c.garbage.Add(1)
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := conn.Read(buf); err == nil {
			c.answered.Add(1)
		}
	}
	return nil
}

// soakTCP pipelines bursts of queries on a connection, reopening it every
// 100 bursts, and checks every answer's ID.
func soakTCP(ctx context.Context, addr string, c *soakCounts, queries [][]byte) error {
	const burst = 50
	var frames []byte
	for i := range burst {
		q := queries[i%len(queries)]
		frames = binary.BigEndian.AppendUint16(frames, uint16(len(q)))
		start := len(frames)
		frames = append(frames, q...)
		binary.BigEndian.PutUint16(frames[start:], uint16(i))
	}
	buf := make([]byte, maxMessageSize)
	for ctx.Err() == nil {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		for range 100 {
			if ctx.Err() != nil {
				break
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(frames); err != nil {
				conn.Close()
				return err
			}
			for i := range burst {
				if err := readFrame(conn, buf, uint16(i)); err != nil {
					conn.Close()
					return err
				}
			}
			c.sent.Add(burst)
			c.tcp.Add(burst)
			c.answered.Add(burst)
		}
		conn.Close()
	}
	return nil
}

// readFrame reads one length-prefixed answer into buf and checks its ID.
func readFrame(conn net.Conn, buf []byte, id uint16) error {
	if _, err := io.ReadFull(conn, buf[:2]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint16(buf))
	if _, err := io.ReadFull(conn, buf[:n]); err != nil {
		return err
	}
	if n < headerLen || binary.BigEndian.Uint16(buf) != id {
		return fmt.Errorf("TCP answer %d: wrong ID or too short (%d bytes)", id, n)
	}
	return nil
}

// soakSwap publishes a new signed zone every second.
func soakSwap(ctx context.Context, t *testing.T, s *Server, k *dnssec.Key, c *soakCounts) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for serial := uint32(1); ; serial++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		z := deepZone()
		z.SOA.Serial = serial
		z.Record.Stamps = []int64{int64(1_700_000_000 + serial), 0, 0}
		snap, err := Compile(signZone(t, z, time.Now(), k))
		if err != nil {
			return err
		}
		s.Swap(snap)
		c.swaps.Add(1)
	}
}
