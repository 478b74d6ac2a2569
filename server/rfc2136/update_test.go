package rfc2136

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const (
	zone   = "mirrors.example.test."
	name   = "current.mirrors.example.test."
	secret = "c2lnbmFsZC10ZXN0LXVwZGF0ZS1zZWNyZXQtMzJieXRlcw=="
)

const zoneText = `$ORIGIN mirrors.example.test.
@ 3600 IN SOA ns1 hostmaster 1 3600 600 1209600 300
@ 3600 IN NS ns1
ns1 3600 IN A 127.0.0.1
current 300 IN TXT "0:0:0"
`

func txt(t *testing.T, addr, owner string) string {
	t.Helper()
	m, err := dnsharness.Exchange(addr, owner, dns.TypeTXT, false)
	if err != nil {
		t.Fatalf("TXT %s: %v", owner, err)
	}
	return m.Answer[0].(*dns.TXT).Txt[0]
}

// TestUpdateKnot pushes the signal into a real Knot primary with TSIG.
func TestUpdateKnot(t *testing.T) {
	knot := dnsharness.Knot(t, dnsharness.Zone{Name: zone, ZoneText: zoneText, AllowUpdate: true,
		TSIG: &dnsharness.TSIG{Name: "update-key.", Secret: secret}}, dnsharness.Options{NoRRL: true})
	rec := signal.Record{Layout: signal.Layout{"content", "altarch", "vault"}, Stamps: []int64{1488372781, 1487767981, 1488113581}}
	ctx := context.Background()
	good := Target{Server: knot.Addr, Zone: zone, KeyName: "update-key.", Secret: secret}

	bad := good
	bad.Secret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
	if err := Send(ctx, bad, Message(zone, name, 300, rec)); err == nil {
		t.Fatal("update with a wrong TSIG secret was accepted")
	}
	unsigned := good
	unsigned.KeyName = ""
	if err := Send(ctx, unsigned, Message(zone, name, 300, rec)); !errors.Is(err, ErrRefused) {
		t.Fatalf("unsigned update: err = %v, want refusal", err)
	}
	if got := txt(t, knot.Addr, name); got != "0:0:0" {
		t.Fatalf("refused updates changed the record to %q", got)
	}

	if err := Send(ctx, good, Message(zone, name, 300, rec)); err != nil {
		t.Fatalf("update: %v\n%s", err, knot.Output())
	}
	if got := txt(t, knot.Addr, name); got != rec.String() {
		t.Fatalf("Knot serves %q, want %q", got, rec.String())
	}
	if got := txt(t, knot.Addr, "_trees."+name); got != "content:altarch:vault" {
		t.Fatalf("Knot serves _trees %q", got)
	}

	// The pusher retries until the primary accepts.
	p := NewPusher(good, name, 300, slog.New(slog.NewTextHandler(io.Discard, nil)))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.Run(runCtx)
	rec.Stamps[1] = 1500000000
	p.Set(rec)
	deadline := time.Now().Add(5 * time.Second)
	for txt(t, knot.Addr, name) != rec.String() {
		if time.Now().After(deadline) {
			t.Fatalf("pusher did not update Knot: %s", knot.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
