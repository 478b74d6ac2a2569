package authdns

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// askTCP sends one query on c and reads its answer within wait.
func askTCP(c *dns.Conn, q *dns.Msg, wait time.Duration) (*dns.Msg, error) {
	c.SetDeadline(time.Now().Add(wait))
	if err := c.WriteMsg(q); err != nil {
		return nil, err
	}
	return c.ReadMsg()
}

// openConns returns the number of TCP connections the server tracks.
func (ts *testServer) openConns() int {
	ts.conns.mu.Lock()
	defer ts.conns.mu.Unlock()
	return len(ts.conns.conns)
}

// busyConns returns the number of those reading or answering a message.
func (ts *testServer) busyConns() int {
	return ts.countConns(func(state int64) bool { return state == connBusy })
}

func (ts *testServer) countConns(match func(state int64) bool) int {
	ts.conns.mu.Lock()
	defer ts.conns.mu.Unlock()
	n := 0
	for c := range ts.conns.conns {
		if match(c.state.Load()) {
			n++
		}
	}
	return n
}

// isIdle reports whether the server holds the other end of the client
// connection c as idle, waiting for a query.
func (ts *testServer) isIdle(c net.Conn) bool {
	ts.conns.mu.Lock()
	defer ts.conns.mu.Unlock()
	for sc := range ts.conns.conns {
		if sc.RemoteAddr().String() == c.LocalAddr().String() {
			return sc.state.Load() > 0
		}
	}
	return false
}

func TestServerTCPConnectionCap(t *testing.T) {
	const readTimeout = time.Second
	ts := startServer(t, Config{MaxTCPConns: 2, TCPReadTimeout: readTimeout}, mustCompile(t, testZone()))
	q := newQuery(testSignal, dns.TypeTXT)

	t.Run("the longest idle makes room", func(t *testing.T) {
		first, second := ts.dialTCP(t), ts.dialTCP(t)
		for _, c := range []*dns.Conn{first, second} {
			if _, err := askTCP(c, q, 2*time.Second); err != nil {
				t.Fatalf("connection within the cap: %v", err)
			}
			// The client can read the answer before the server marks
			// the connection idle again, and the order of going idle
			// decides which one makes room.
			waitFor(t, func() bool { return ts.isIdle(c.Conn) })
		}
		third := ts.dialTCP(t)
		if _, err := askTCP(third, q, 2*time.Second); err != nil {
			t.Fatalf("a third connection at the cap, with two idle: %v", err)
		}
		expectClosed(t, first.Conn, time.Second) // idle the longest
		if _, err := askTCP(second, q, 2*time.Second); err != nil {
			t.Fatalf("the second connection was closed too: %v", err)
		}
		third.Close()
		second.Close()
		waitFor(t, func() bool { return ts.openConns() == 0 })
	})

	t.Run("all busy: the new one waits for a slot", func(t *testing.T) {
		// Two connections in the middle of a message are busy: they are
		// not closed for a newcomer, and the read timeout ends them.
		for range 2 {
			c := ts.dialTCP(t)
			if _, err := c.Conn.Write([]byte{0, 40, 0xbe}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, func() bool { return ts.busyConns() == 2 })
		third := ts.dialTCP(t)
		start := time.Now()
		if _, err := askTCP(third, q, 300*time.Millisecond); err == nil {
			t.Fatal("a third connection was served while two were busy")
		}
		third.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := third.ReadMsg(); err != nil { // the query sent is answered once a slot frees
			t.Fatalf("third connection after the busy ones timed out: %v", err)
		}
		if took := time.Since(start); took < readTimeout/2 {
			t.Fatalf("answered after %s, before the busy connections' read timeout of %s", took, readTimeout)
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}

// pipeline writes n queries for qname in one burst, with IDs 0..n-1.
func pipeline(t *testing.T, c net.Conn, qname string, qtype uint16, n int) {
	t.Helper()
	var burst []byte
	for i := range n {
		b := pack(t, newQuery(qname, qtype))
		b[0], b[1] = byte(i>>8), byte(i)
		burst = append(burst, byte(len(b)>>8), byte(len(b)))
		burst = append(burst, b...)
	}
	if _, err := c.Write(burst); err != nil {
		t.Fatal(err)
	}
}

// TestServerTCPLatePipeline pipelines a burst whose answers overflow the
// write buffer long after the connection's last flush: every write, not
// only the last flush, gets a fresh write deadline.
func TestServerTCPLatePipeline(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	ts := startServer(t, Config{TCPWriteTimeout: writeTimeout}, mustCompile(t, testZone()))
	conn := ts.dialTCP(t)
	if _, err := askTCP(conn, newQuery(testSignal, dns.TypeTXT), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * writeTimeout)
	const n = 300
	pipeline(t, conn.Conn, testSignal, dns.TypeTXT, n)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	for i := range n {
		r, err := conn.ReadMsg()
		if err != nil || r.Id != uint16(i) || len(r.Answer) != 1 {
			t.Fatalf("answer %d: err %v, response %v", i, err, r)
		}
	}
}

// TestServerTCPClientNotReading pipelines far more than the buffers hold
// and never reads: the server holds one query at a time, closes the
// connection after the write timeout, and keeps serving others.
func TestServerTCPClientNotReading(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	ts := startServer(t, Config{TCPWriteTimeout: writeTimeout}, mustCompile(t, manyNSZone(20)))
	conn := ts.dialTCP(t)
	go func() { // blocks once both directions' buffers are full
		conn.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		var burst []byte
		b := pack(t, newQuery(testOrigin, dns.TypeNS))
		for range 20000 {
			burst = append(burst, byte(len(b)>>8), byte(len(b)))
			burst = append(burst, b...)
		}
		conn.Conn.Write(burst)
	}()
	waitFor(t, func() bool { return ts.openConns() == 1 })
	other := ts.dialTCP(t)
	if _, err := askTCP(other, newQuery(testSignal, dns.TypeTXT), 2*time.Second); err != nil {
		t.Fatalf("another client while one does not read: %v", err)
	}
	other.Close()
	waitFor(t, func() bool { return ts.openConns() == 0 })
}

// TestServerSlowLoris opens idle and trickling TCP connections beyond the
// cap, reconnecting whenever the server closes one, and shows that UDP
// and TCP queries are still answered throughout.
func TestServerSlowLoris(t *testing.T) {
	const (
		maxConns    = 8
		duration    = 3 * time.Second
		readTimeout = 500 * time.Millisecond
	)
	ts := startServer(t, Config{MaxTCPConns: maxConns, TCPReadTimeout: readTimeout}, mustCompile(t, testZone()))
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var attackers sync.WaitGroup
	var attackConns atomic.Int64
	attack := func(trickle bool) {
		defer attackers.Done()
		query := pack(t, newQuery(testSignal, dns.TypeTXT))
		msg := append([]byte{0, byte(len(query))}, query...)
		for ctx.Err() == nil {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", ts.tcp)
			if err != nil {
				continue
			}
			attackConns.Add(1)
			if trickle {
				trickleUntilClosed(ctx, c, msg)
			} else {
				holdUntilClosed(ctx, c)
			}
			c.Close()
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := range 3 * maxConns { // two thirds idle, one third trickling
		attackers.Add(1)
		go attack(i%3 == 0)
	}
	defer attackers.Wait()

	time.Sleep(200 * time.Millisecond) // let the attackers fill the slots
	var asked, tcpRetries int
	var worst time.Duration
	udp := &dns.Client{Net: "udp", Timeout: time.Second}
	for ctx.Err() == nil {
		asked++
		if r, _, err := udp.Exchange(newQuery(testSignal, dns.TypeTXT), ts.udp); err != nil || len(r.Answer) != 1 {
			t.Fatalf("UDP query %d during the attack: %v", asked, err)
		}
		start := time.Now()
		retries, err := tcpQueryWithRetry(ts.tcp, 3)
		if err != nil {
			t.Fatalf("TCP query %d during the attack (%d tries): %v", asked, retries+1, err)
		}
		tcpRetries += retries
		worst = max(worst, time.Since(start))
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	t.Logf("%d UDP and %d TCP queries answered during the attack (%d TCP retries, slowest TCP %s); %d attacking connections opened against a cap of %d",
		asked, asked, tcpRetries, worst.Round(time.Millisecond), attackConns.Load(), maxConns)
	if worst > 2*readTimeout+time.Second {
		t.Errorf("slowest TCP answer took %s", worst)
	}
}

// tcpQueryWithRetry asks for the signal over a new connection, as a
// resolver does, retrying up to tries times when the connection is closed.
func tcpQueryWithRetry(addr string, tries int) (retries int, err error) {
	for i := range tries {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, time.Second); err != nil {
			continue
		}
		var r *dns.Msg
		r, err = askTCP(&dns.Conn{Conn: c}, newQuery(testSignal, dns.TypeTXT), 2*time.Second)
		c.Close()
		if err == nil && len(r.Answer) == 1 {
			return i, nil
		}
		if err == nil {
			err = errors.New("no answer record")
		}
	}
	return tries - 1, err
}

// holdUntilClosed keeps c open without sending until the server closes it.
func holdUntilClosed(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	c.Read(make([]byte, 1))
}

// trickleUntilClosed sends msg again and again, one byte per 100 ms,
// until the server closes c.
func trickleUntilClosed(ctx context.Context, c net.Conn, msg []byte) {
	for i := 0; ctx.Err() == nil; i++ {
		if _, err := c.Write(msg[i%len(msg) : i%len(msg)+1]); err != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
