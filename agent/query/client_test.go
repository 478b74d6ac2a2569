package query

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
)

// TestExchangeRounds: a server that never gives a usable answer is asked
// once per round, Attempts rounds (at least one).
func TestExchangeRounds(t *testing.T) {
	broken := agenttest.StartDNS(t, "other.test.") // NXDOMAIN for the name
	for _, attempts := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprint(attempts), func(t *testing.T) {
			broken.ResetQueries()
			c := &Client{Servers: []string{broken.Addr}, Recursive: true, Timeout: time.Second, Attempts: attempts}
			if _, err := c.Exchange(context.Background(), name, dns.TypeTXT); !errors.Is(err, ErrUnreachable) {
				t.Fatalf("err %v, want ErrUnreachable", err)
			}
			if got, want := len(broken.Queries()), max(attempts, 1); got != want {
				t.Fatalf("%d queries, want %d", got, want)
			}
		})
	}
}

// TestFirstRoundNotDelayed: the pause between rounds comes only before a
// retry: a context with less time left than ServerBackoff still gets its
// answer from the first round.
func TestFirstRoundNotDelayed(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	ctx, cancel := context.WithTimeout(context.Background(), ServerBackoff/2)
	defer cancel()
	c := &Client{Servers: []string{s.Addr}, Recursive: true, Timeout: time.Second, Attempts: 3}
	if _, err := c.Exchange(ctx, name, dns.TypeTXT); err != nil {
		t.Fatalf("first round: %v", err)
	}
}

func TestSystemResolvers(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := SystemResolvers(write("search example.test\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"))
	if want := []string{"192.0.2.53:53", "[2001:db8::53]:53"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("SystemResolvers = %v, %v; want %v", got, err, want)
	}
	if got, err := SystemResolvers(write("search example.test\n")); err == nil {
		t.Fatalf("no nameserver: %v, want an error", got)
	}
	if got, err := SystemResolvers(filepath.Join(dir, "missing")); err == nil {
		t.Fatalf("missing file: %v, want an error", got)
	}
}
