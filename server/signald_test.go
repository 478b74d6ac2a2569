package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
)

const origin = "mirrors.example.test."

func testConfig(t *testing.T, extra string) config.Config {
	t.Helper()
	doc := fmt.Sprintf(`state_dir = %q
[zone]
origin = %q
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
[[trees]]
name = "altarch"
[[trees]]
name = "vault"
[dns]
listen = "127.0.0.1:%d"
[http]
enabled = false
[dnssec]
enabled = true
generate = true
%s`, t.TempDir(), origin, dnsharness.FreePort(t), extra)
	cfg, err := config.Parse("test.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeClock is an injected clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, cfg config.Config, now func() time.Time) *Signald {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, quiet(), now)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := dnsharness.Serial(cfg.DNS.Listen, origin); err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("signald's DNS did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dsOf(t *testing.T, cfg config.Config) string {
	t.Helper()
	keys, err := dnssec.LoadDir(cfg.KeyDir(), origin)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v (%d)", err, len(keys))
	}
	return keys[0].DS().String()
}

// TestSignedZoneValidates: unbound, anchored on the DS signald's generated
// key yields, validates the signal (AD) before and after a publish; a
// wrong anchor gives SERVFAIL.
func TestSignedZoneValidates(t *testing.T) {
	cfg := testConfig(t, "")
	s := start(t, cfg, time.Now)
	ub := dnsharness.Unbound(t, origin, cfg.DNS.Listen, dsOf(t, cfg))
	checkAD(t, ub.Addr, "0:0:0")
	stamp := time.Now().Unix() - 30
	if _, err := s.publisher.Publish(context.Background(), publish.Request{Tree: "vault", Stamp: stamp}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0:0:%d", stamp)
	deadline := time.Now().Add(10 * time.Second)
	for !hasTXT(ub.Addr, want) {
		if time.Now().After(deadline) {
			t.Fatalf("unbound never validated the published record %s\n%s", want, ub.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	checkAD(t, ub.Addr, want)

	wrong := strings.Replace(dsOf(t, cfg), "13 2 ", "13 2 00", 1)
	wrong = wrong[:len(wrong)-2]
	bad := dnsharness.Unbound(t, origin, cfg.DNS.Listen, wrong)
	m, _ := dnsharness.Exchange(bad.Addr, "current."+origin, dns.TypeTXT, true)
	if m == nil || m.Rcode != dns.RcodeServerFailure {
		t.Fatalf("wrong anchor: %v, want SERVFAIL", m)
	}
}

func hasTXT(addr, want string) bool {
	m, err := dnsharness.Exchange(addr, "current."+origin, dns.TypeTXT, true)
	if err != nil || len(m.Answer) == 0 {
		return false
	}
	for _, rr := range m.Answer {
		if txt, ok := rr.(*dns.TXT); ok && txt.Txt[0] == want {
			return true
		}
	}
	return false
}

func checkAD(t *testing.T, addr, want string) {
	t.Helper()
	m, err := dnsharness.Exchange(addr, "current."+origin, dns.TypeTXT, true)
	if err != nil || !m.AuthenticatedData || !hasTXT(addr, want) {
		t.Fatalf("unbound: %v %v, want %q with AD", m, err, want)
	}
}

// TestSixtyDays runs signald on an injected clock for 60 days in 10-minute
// steps: every signature it serves is valid at every step, and the signal
// TXT's signature is never older than the heartbeat.
func TestSixtyDays(t *testing.T) {
	cfg := testConfig(t, "")
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ctx := context.Background()
	s, err := New(ctx, cfg, quiet(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.store.Close()
	const step = 10 * time.Minute
	var lastSerial uint32
	for end := clock.Now().Add(60 * 24 * time.Hour); clock.Now().Before(end); clock.Add(step) {
		if err := s.zone.MaybeResign(ctx); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		for key, sigs := range servedSigs(s) {
			for _, sig := range sigs {
				if !sig.ValidityPeriod(now) {
					t.Fatalf("%s: %v signature outside its validity", now.UTC(), key)
				}
			}
		}
		inc := time.Unix(int64(servedSigs(s)[signalTXT][0].Inception), 0).Add(dnssec.InceptionSkew)
		if age := now.Sub(inc); age > dnssec.SignalHeartbeat+step {
			t.Fatalf("%s: signal signature %s old", now.UTC(), age)
		}
		if cur := s.Zone().Serial; cur < lastSerial {
			t.Fatalf("serial went back from %d to %d", lastSerial, cur)
		} else {
			lastSerial = cur
		}
	}
}

// TestCorruptKeyRefusesStart: a bad key file stops signald at start with a
// message naming the file.
func TestCorruptKeyRefusesStart(t *testing.T) {
	cfg := testConfig(t, "")
	s, err := New(context.Background(), cfg, quiet(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.store.Close()
	privs, _ := filepath.Glob(filepath.Join(cfg.KeyDir(), "*.private"))
	if len(privs) != 1 {
		t.Fatalf("generated keys: %v", privs)
	}
	os.WriteFile(privs[0], []byte("Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AAAA\n"), 0o600)
	_, err = New(context.Background(), cfg, quiet(), time.Now)
	if err == nil || !strings.Contains(err.Error(), privs[0]) {
		t.Fatalf("err = %v, want one naming %s", err, privs[0])
	}
}

// signalTXT names the signal's TXT RRset.
var signalTXT = dnssec.SetKey{Name: "current." + origin, Type: dns.TypeTXT}

// servedSigs returns the RRSIGs of the zone served now, by the RRset they
// cover.
func servedSigs(s *Signald) map[dnssec.SetKey][]*dns.RRSIG {
	out := map[dnssec.SetKey][]*dns.RRSIG{}
	for _, rr := range s.Zone().Wire.Records() {
		if sig, ok := rr.(*dns.RRSIG); ok {
			k := dnssec.SetKey{Name: strings.ToLower(sig.Hdr.Name), Type: sig.TypeCovered}
			out[k] = append(out[k], sig)
		}
	}
	return out
}

// counterValue is the value of the counter name in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
