package authdns

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// boundUDP counts the sockets in /proc/net/udp bound to 127.0.0.1:port.
func boundUDP(t *testing.T, port int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Skipf("no /proc/net/udp: %v", err)
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == local {
			n++
		}
	}
	return n
}

// TestListenUDPReusePort: n sockets share one port, the kernel spreads
// clients over them, and a program that does not ask for SO_REUSEPORT
// still cannot bind the port.
func TestListenUDPReusePort(t *testing.T) {
	socks, err := listenUDP(context.Background(), "127.0.0.1:0", 4)
	if err != nil {
		t.Fatal(err)
	}
	defer socks.Close()
	port := socks[0].LocalAddr().(*net.UDPAddr).Port
	for _, c := range socks {
		if got := c.LocalAddr().(*net.UDPAddr).Port; got != port {
			t.Fatalf("sockets on ports %d and %d", port, got)
		}
	}
	if n := boundUDP(t, port); n != 4 {
		t.Fatalf("%d sockets bound to port %d, want 4", n, port)
	}
	if c, err := net.ListenPacket("udp", socks[0].LocalAddr().String()); err == nil {
		c.Close()
		t.Fatal("a socket without SO_REUSEPORT bound the port too")
	}
	const clients = 64
	for i := range clients {
		c, err := net.DialUDP("udp", nil, socks[0].LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(c, "client %d", i); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	got, used := 0, 0
	buf := make([]byte, 64)
	for _, c := range socks {
		n := 0
		for {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, _, err := c.ReadFromUDP(buf); err != nil {
				break
			}
			n++
		}
		got += n
		if n > 0 {
			used++
		}
	}
	// 64 clients all hashed to one of 4 sockets: odds 4 × 4^-64.
	if got != clients || used < 2 {
		t.Errorf("%d of %d datagrams received, by %d of 4 sockets", got, clients, used)
	}
}

// TestServerUDPSocketPerWorker: with four workers signald binds four
// sockets to its port, answers clients from many source ports, and frees
// the port when it stops.
func TestServerUDPSocketPerWorker(t *testing.T) {
	cfg := Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", UDPWorkers: 4}
	s := New(cfg, slog.New(slog.DiscardHandler))
	s.Swap(mustCompile(t, testZone()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server not ready after 5s")
	}
	udp, _ := s.Addrs()
	port := udp.(*net.UDPAddr).Port
	if n := boundUDP(t, port); n != 4 {
		t.Fatalf("%d sockets bound to port %d, want 4", n, port)
	}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	for i := range 32 {
		r, _, err := c.Exchange(newQuery(testOrigin, dns.TypeSOA), udp.String())
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("query %d: %v %v", i, r, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := boundUDP(t, port); n != 0 {
		t.Errorf("%d sockets still bound after Run returned", n)
	}
}
