package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// TestCombinedKeyRollover walks the documented rollover of the combined
// key (contrib/dnssec/README.md: double-signature, double-DS) and asks a
// validating unbound after every step, anchored on what the parent would
// hold at that step.
func TestCombinedKeyRollover(t *testing.T) {
	cfg := testConfig(t, "")
	s := start(t, cfg, time.Now)
	ctx := context.Background()
	old := dsOf(t, cfg)
	validates := func(step string, anchors ...string) {
		t.Helper()
		ub := dnsharness.Unbound(t, origin, cfg.DNS.Listen, strings.Join(anchors, "\n"))
		for _, q := range []struct {
			name  string
			qtype uint16
			rcode int
		}{
			{"current." + origin, dns.TypeTXT, dns.RcodeSuccess},
			{"nope." + origin, dns.TypeTXT, dns.RcodeNameError},
			{"current." + origin, dns.TypeA, dns.RcodeSuccess},
		} {
			m, _ := dnsharness.Exchange(ub.Addr, q.name, q.qtype, true)
			if m == nil || m.Rcode != q.rcode || !m.AuthenticatedData {
				t.Fatalf("%s: %s %s: %v; want %s with AD\n%s", step, q.name, dns.TypeToString[q.qtype], m, dns.RcodeToString[q.rcode], ub.Output())
			}
		}
		ub.Stop()
	}
	validates("0: one key", old)

	k2, err := dnssec.Generate(origin, dnssec.AlgECDSAP256, dnssec.FlagKSK, dnssec.DNSKEYTTL)
	if err != nil {
		t.Fatal(err)
	}
	if err := k2.Write(cfg.KeyDir()); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	newDS := k2.DS().String()
	validates("1: new key published and signing, parent has the old DS", old)
	validates("2: parent has both DS", old, newDS)
	validates("3: parent has the new DS only", newDS)

	oldKeys, _ := dnssec.LoadDir(cfg.KeyDir(), origin)
	var oldTag uint16
	for _, k := range oldKeys {
		if k.Tag() != k2.Tag() {
			oldTag = k.Tag()
		}
	}
	if _, err := dnssec.Retire(cfg.KeyDir(), origin, oldTag); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	validates("4: old key retired", newDS)

	ub := dnsharness.Unbound(t, origin, cfg.DNS.Listen, old)
	if m, _ := dnsharness.Exchange(ub.Addr, "current."+origin, dns.TypeTXT, true); m == nil || m.Rcode != dns.RcodeServerFailure {
		t.Fatalf("the retired key's DS still validates: %v", m)
	}
}
