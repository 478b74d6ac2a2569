package notify

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const (
	zone   = "mirrors.example.test."
	keyN   = "xfr-key."
	secret = "f8wXRtSbE6doATIuDybXy+c0o9aaQzmuOPCObGTwugE="
)

// secondary is a fake secondary: it records every NOTIFY and drops the
// first `drop` of them without an answer.
type secondary struct {
	addr string

	mu      sync.Mutex
	drop    int
	got     []uint32 // serials of the NOTIFYs received (answer SOA), in order
	acked   []uint32
	badTSIG int
	arrived chan struct{}
}

func startSecondary(t *testing.T, drop int, secrets map[string]string) *secondary {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &secondary{addr: pc.LocalAddr().String(), drop: drop, arrived: make(chan struct{}, 100)}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), TsigSecret: secrets}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

func (s *secondary) serve(w dns.ResponseWriter, r *dns.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.arrived <- struct{}{}:
		default:
		}
	}()
	if r.Opcode != dns.OpcodeNotify || len(r.Question) != 1 || r.Question[0].Qtype != dns.TypeSOA || !r.Authoritative {
		return
	}
	serial := uint32(0)
	if len(r.Answer) == 1 {
		serial = r.Answer[0].(*dns.SOA).Serial
	}
	s.got = append(s.got, serial)
	if r.IsTsig() != nil && w.TsigStatus() != nil {
		s.badTSIG++
		return
	}
	if len(s.got) <= s.drop {
		return
	}
	s.acked = append(s.acked, serial)
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if t := r.IsTsig(); t != nil {
		m.SetTsig(t.Hdr.Name, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
	}
	w.WriteMsg(m)
}

func (s *secondary) snapshot() (got, acked []uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.got...), append([]uint32(nil), s.acked...)
}

// waitFor waits until cond holds on the secondary's state, at most limit.
func (s *secondary) waitFor(t *testing.T, limit time.Duration, cond func(got, acked []uint32) bool) {
	t.Helper()
	deadline := time.After(limit)
	for {
		if cond(s.snapshot()) {
			return
		}
		select {
		case <-s.arrived:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			got, acked := s.snapshot()
			t.Fatalf("after %s: got %v, acked %v", limit, got, acked)
		}
	}
}

// fast is a config whose retries take milliseconds.
func fast(targets ...Target) Config {
	return Config{
		Zone: zone, Targets: targets,
		SOA:     &dns.SOA{Hdr: dns.RR_Header{Ttl: 3600}, Ns: "ns1." + zone, Mbox: "hostmaster." + zone, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300},
		Timeout: 50 * time.Millisecond, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxTries: 4,
	}
}

func startNotifier(t *testing.T, cfg Config) (*Notifier, *testtool.Buffer) {
	t.Helper()
	logs := &testtool.Buffer{}
	n, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return n, logs
}

func TestNotifyAcknowledged(t *testing.T) {
	s := startSecondary(t, 0, nil)
	n, logs := startNotifier(t, fast(Target{Addr: s.addr}))
	n.Notify(7)
	s.waitFor(t, 2*time.Second, func(_, acked []uint32) bool { return len(acked) == 1 && acked[0] == 7 })
	time.Sleep(100 * time.Millisecond) // no more sends after the acknowledgement
	if got, _ := s.snapshot(); len(got) != 1 {
		t.Fatalf("sent %v, want one NOTIFY", got)
	}
	if !strings.Contains(logs.String(), "component=notify") || !strings.Contains(logs.String(), "notify acknowledged") {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestNotifyRetriesDropped(t *testing.T) {
	s := startSecondary(t, 2, nil)
	n, _ := startNotifier(t, fast(Target{Addr: s.addr}))
	n.Notify(8)
	s.waitFor(t, 3*time.Second, func(got, acked []uint32) bool { return len(got) == 3 && len(acked) == 1 })
	time.Sleep(150 * time.Millisecond)
	if got, _ := s.snapshot(); len(got) != 3 {
		t.Fatalf("sent %v, want 3 (two dropped, one acknowledged)", got)
	}
}

func TestNotifyGivesUp(t *testing.T) {
	s := startSecondary(t, 1000, nil)
	cfg := fast(Target{Addr: s.addr})
	n, logs := startNotifier(t, cfg)
	start := time.Now()
	n.Notify(9)
	s.waitFor(t, 3*time.Second, func(got, _ []uint32) bool { return len(got) == cfg.MaxTries })
	// Bounded: MaxTries attempts and then silence.
	time.Sleep(300 * time.Millisecond)
	if got, _ := s.snapshot(); len(got) != cfg.MaxTries {
		t.Fatalf("sent %d NOTIFYs, want exactly %d", len(got), cfg.MaxTries)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(logs.String(), "giving up") {
		if time.Now().After(deadline) {
			t.Fatalf("no give-up log:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// 4 timeouts of 50ms plus pauses of 10, 20, 40ms: well under a second.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %s", d)
	}
	// The next change is tried again.
	n.Notify(10)
	s.waitFor(t, 3*time.Second, func(got, _ []uint32) bool { return len(got) == 2*cfg.MaxTries && got[len(got)-1] == 10 })
}

func TestNotifyNewerSupersedes(t *testing.T) {
	s := startSecondary(t, 1000, nil)
	cfg := fast(Target{Addr: s.addr})
	cfg.InitialBackoff, cfg.MaxBackoff = time.Second, time.Second // retries of 1 would be slow
	n, _ := startNotifier(t, cfg)
	n.Notify(1)
	s.waitFor(t, 2*time.Second, func(got, _ []uint32) bool { return len(got) == 1 })
	s.mu.Lock()
	s.drop = 0 // acknowledge from now on
	s.mu.Unlock()
	n.Notify(2)
	s.waitFor(t, 500*time.Millisecond, func(_, acked []uint32) bool { return len(acked) == 1 && acked[0] == 2 })
	time.Sleep(1200 * time.Millisecond) // past serial 1's retry time
	if got, _ := s.snapshot(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("sent %v, want [1 2]: serial 1 must not be retried once 2 is out", got)
	}
}

func TestNotifySigned(t *testing.T) {
	s := startSecondary(t, 0, map[string]string{keyN: secret})
	n, _ := startNotifier(t, fast(Target{Addr: s.addr, Key: &Key{Name: "XFR-key.", Secret: secret}}))
	n.Notify(11)
	s.waitFor(t, 2*time.Second, func(_, acked []uint32) bool { return len(acked) == 1 && acked[0] == 11 })
	s.mu.Lock()
	badTSIG := s.badTSIG
	s.mu.Unlock()
	if badTSIG != 0 {
		t.Fatalf("%d NOTIFYs with a bad signature", badTSIG)
	}

	// A wrong secret: the secondary rejects every try, bounded.
	bad := startSecondary(t, 0, map[string]string{keyN: "Dc0eDKMTCdC5jYdAhJ3LL0zXUla7/fWtWGPiM7YWK7E="})
	cfg := fast(Target{Addr: bad.addr, Key: &Key{Name: keyN, Secret: secret}})
	n2, _ := startNotifier(t, cfg)
	n2.Notify(12)
	bad.waitFor(t, 3*time.Second, func(got, _ []uint32) bool { return len(got) == cfg.MaxTries })
	if _, acked := bad.snapshot(); len(acked) != 0 {
		t.Fatalf("acked %v with a wrong key", acked)
	}
}

func TestNotifyManyTargets(t *testing.T) {
	a, b := startSecondary(t, 0, nil), startSecondary(t, 1, nil)
	n, _ := startNotifier(t, fast(Target{Addr: a.addr}, Target{Addr: b.addr}))
	n.Notify(20)
	for _, s := range []*secondary{a, b} {
		s.waitFor(t, 2*time.Second, func(_, acked []uint32) bool { return len(acked) == 1 && acked[0] == 20 })
	}
}

func TestNotifyBeforeRun(t *testing.T) {
	s := startSecondary(t, 0, nil)
	n, err := New(fast(Target{Addr: s.addr}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(30) // queued until Run
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Run(ctx)
	s.waitFor(t, 2*time.Second, func(_, acked []uint32) bool { return len(acked) == 1 && acked[0] == 30 })
}

func TestMessage(t *testing.T) {
	n, err := New(fast(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m := n.message(42)
	if m.Opcode != dns.OpcodeNotify || !m.Authoritative || m.Response || len(m.Question) != 1 ||
		m.Question[0] != (dns.Question{Name: zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET}) {
		t.Fatalf("message %v", m)
	}
	soa, ok := m.Answer[0].(*dns.SOA)
	if len(m.Answer) != 1 || !ok || soa.Serial != 42 || soa.Hdr.Name != zone || soa.Hdr.Ttl != 3600 {
		t.Fatalf("answer %v", m.Answer)
	}
	cfg := fast()
	cfg.SOA = nil
	n, _ = New(cfg, slog.New(slog.DiscardHandler))
	if m := n.message(42); len(m.Answer) != 0 {
		t.Fatalf("answer without SOA template: %v", m.Answer)
	}
}

func TestValidate(t *testing.T) {
	bad := []struct {
		name string
		cfg  Config
		key  string
	}{
		{"zone not fqdn", Config{Zone: "example.test"}, "zone"},
		{"addr without port", Config{Zone: zone, Targets: []Target{{Addr: "127.0.0.1"}}}, "Targets[0].Addr"},
		{"key name", Config{Zone: zone, Targets: []Target{{Addr: "127.0.0.1:53", Key: &Key{Name: "k", Secret: secret}}}}, "Targets[0].Key.Name"},
		{"key secret", Config{Zone: zone, Targets: []Target{{Addr: "127.0.0.1:53", Key: &Key{Name: "k.", Secret: "!!"}}}}, "Targets[0].Key.Secret"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.key) {
				t.Fatalf("want an error naming %s, got %v", c.key, err)
			}
			if _, err := New(c.cfg, slog.New(slog.DiscardHandler)); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}
