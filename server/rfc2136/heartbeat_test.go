package rfc2136

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// signedKnot starts Knot as a signing primary that takes updates with the
// test's TSIG key.
func signedKnot(t *testing.T) *dnsharness.Process {
	t.Helper()
	zf := filepath.Join(t.TempDir(), "zone.db")
	if err := os.WriteFile(zf, []byte(zoneText), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`key:
  - id: update-key.
    algorithm: hmac-sha256
    secret: %s
acl:
  - id: update
    address: 127.0.0.0/8
    key: update-key.
    action: update
zone:
  - domain: %s
    file: %q
    acl: update
    dnssec-signing: on
`, secret, zone, zf)
	return dnsharness.KnotWithConfig(t, zone, conf, dnsharness.Options{NoRRL: true})
}

// signalSig returns the TTL of the signal TXT and the inception of its
// RRSIG as served.
func signalSig(t *testing.T, addr string) (uint32, uint32) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeTXT)
	m.SetEdns0(1232, true)
	r, err := dns.Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	var ttl, inc uint32
	var sigs int
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.TXT:
			ttl = rr.Hdr.Ttl
		case *dns.RRSIG:
			inc = rr.Inception
			sigs++
		}
	}
	if sigs == 0 {
		t.Fatalf("signal TXT not signed: %v", r)
	}
	return ttl, inc
}

// TestHeartbeatResignsAtPrimary: in RFC 2136 mode signald does not sign,
// so its heartbeat must make the primary re-sign the signal. A re-push of
// the same RRset is not re-signed; the heartbeat's alternating TTL is, so
// the RRSIG inception an agent ages the answer by keeps moving.
func TestHeartbeatResignsAtPrimary(t *testing.T) {
	knot := signedKnot(t)
	target := Target{Server: knot.Addr, Zone: zone, KeyName: "update-key.", Secret: secret}
	rec := signal.Record{Layout: signal.Layout{"content", "altarch", "vault"}, Stamps: []int64{1488372781, 0, 0}}
	ctx := context.Background()
	if err := Send(ctx, target, Message(zone, name, 300, rec)); err != nil {
		t.Fatalf("update: %v\n%s", err, knot.Output())
	}
	_, first := signalSig(t, knot.Addr)
	t.Logf("Knot's inception is %s before now", time.Since(time.Unix(int64(first), 0)).Round(time.Second))
	time.Sleep(1100 * time.Millisecond) // inceptions have a resolution of a second
	if err := Send(ctx, target, Message(zone, name, 300, rec)); err != nil {
		t.Fatal(err)
	}
	if _, inc := signalSig(t, knot.Addr); inc != first {
		t.Fatalf("an unchanged re-push was re-signed (inception %d -> %d): the TTL flip is not needed", first, inc)
	}

	p := NewPusher(target, name, 300, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Heartbeat = 1500 * time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.Run(runCtx)
	p.Set(rec)
	seen := map[uint32]bool{}
	last := first
	deadline := time.Now().Add(15 * time.Second)
	for len(seen) < 2 || last <= first+1 {
		if time.Now().After(deadline) {
			t.Fatalf("heartbeats did not re-sign the signal: TTLs %v, inception %d (first %d)\n%s", seen, last, first, knot.Output())
		}
		time.Sleep(100 * time.Millisecond)
		ttl, inc := signalSig(t, knot.Addr)
		if inc < last {
			t.Fatalf("inception went back from %d to %d", last, inc)
		}
		seen[ttl], last = true, inc
	}
	if !seen[300] || !seen[299] {
		t.Fatalf("TTLs served %v, want 300 and 299", seen)
	}
}
