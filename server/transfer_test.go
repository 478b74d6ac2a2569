package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const (
	xfrKey    = "xfr-key."
	xfrSecret = "bWlycm9yc2lnbmFsLXRlc3QteGZyLWtleS0zMi1ieXRlcyE="
)

// TestSecondariesFollowSignald: NSD and Knot transfer the signed zone from
// signald with TSIG, get every publish within seconds through NOTIFY, and
// serve answers that validate through unbound; the AXFR passes three zone
// checkers before and after a publish and after a re-sign; a transfer
// without the key is refused.
func TestSecondariesFollowSignald(t *testing.T) {
	port := dnsharness.FreePort(t)
	primary := fmt.Sprintf("127.0.0.1:%d", port)
	tsig := &dnsharness.TSIG{Name: xfrKey, Secret: xfrSecret}
	zone := dnsharness.Zone{Name: origin, Primary: primary, TSIG: tsig}
	wait := dnsharness.Options{NoRRL: true, NoWaitForZone: true}
	secondaries := []*dnsharness.Process{dnsharness.NSD(t, zone, wait), dnsharness.Knot(t, zone, wait)}
	extra := fmt.Sprintf(`[[tsig]]
name = %q
secret = %q
[transfer]
keys = [%q]
[[notify]]
address = %q
tsig_key = %q
[[notify]]
address = %q
tsig_key = %q
`, xfrKey, xfrSecret, xfrKey, secondaries[0].Addr, xfrKey, secondaries[1].Addr, xfrKey)
	cfg := testConfig(t, extra)
	cfg.DNS.Listen = primary
	s := start(t, cfg, time.Now)
	ctx := context.Background()

	waitSerial(t, secondaries, s.Zone().Serial)
	checkAXFR(t, primary, "at start")

	stamp := time.Now().Unix() - 5
	if _, err := s.publisher.Publish(ctx, publish.Request{Tree: "content", Stamp: stamp}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	waitSerial(t, secondaries, s.Zone().Serial)
	t.Logf("secondaries had the published serial %s after the publish", time.Since(began).Round(time.Millisecond))
	checkAXFR(t, primary, "after a publish")

	ds := dsOf(t, cfg)
	want := fmt.Sprintf("%d:0:0", stamp)
	for _, sec := range secondaries {
		ub := dnsharness.Unbound(t, origin, sec.Addr, ds)
		m, err := dnsharness.Exchange(ub.Addr, "current."+origin, dns.TypeTXT, true)
		if err != nil || !m.AuthenticatedData || m.Answer[0].(*dns.TXT).Txt[0] != want {
			t.Fatalf("unbound through %s: %v %v, want %s with AD\n%s", sec.Name, m, err, want, ub.Output())
		}
		ub.Stop()
	}

	if err := s.zone.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitSerial(t, secondaries, s.Zone().Serial)
	checkAXFR(t, primary, "after a re-sign")

	dig := testtool.Path(t, "dig")
	out, _ := exec.Command(dig, "@127.0.0.1", "-p", fmt.Sprint(port), origin, "AXFR", "+time=2", "+tries=1").CombinedOutput()
	if !strings.Contains(string(out), "Transfer failed") || strings.Contains(string(out), "\tSOA\t") {
		t.Fatalf("an unsigned AXFR was not refused:\n%s", out)
	}
}

func waitSerial(t *testing.T, secs []*dnsharness.Process, want uint32) {
	t.Helper()
	for _, sec := range secs {
		if err := dnsharness.WaitSerial(sec.Addr, origin, want, 15*time.Second); err != nil {
			t.Fatalf("%s: %v\n%s", sec.Name, err, sec.Output())
		}
	}
}

// checkAXFR transfers the zone with the TSIG key through dig and runs the
// zone checkers on the result.
func checkAXFR(t *testing.T, primary, when string) {
	t.Helper()
	dig := testtool.Path(t, "dig")
	host, port := primary[:strings.LastIndexByte(primary, ':')], primary[strings.LastIndexByte(primary, ':')+1:]
	out, err := exec.Command(dig, "@"+host, "-p", port, "-y", "hmac-sha256:"+xfrKey+":"+xfrSecret,
		origin, "AXFR", "+nocomments", "+nostats", "+nocmd", "+time=2", "+tries=1").Output()
	if err != nil || strings.Contains(string(out), "failed") {
		t.Fatalf("%s: signed AXFR: %v\n%s", when, err, out)
	}
	var zone strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.HasPrefix(line, ";") && !strings.Contains(line, "\tTSIG\t") {
			zone.WriteString(line + "\n")
		}
	}
	file := filepath.Join(t.TempDir(), "axfr.zone")
	if err := os.WriteFile(file, []byte(zone.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"ldns-verify-zone", file},
		{"kzonecheck", "-o", origin, "-d", "on", file},
		{"dnssec-verify", "-o", origin, "-z", file},
	} {
		bin := testtool.Path(t, c[0])
		if out, err := exec.Command(bin, c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %s rejects the AXFR: %v\n%s\nzone:\n%s", when, c[0], err, out, zone.String())
		}
	}
}

// TestRFC2136Mode: with publish.mode = "rfc2136" and its own DNS off,
// signald pushes every publish into a real Knot primary with TSIG.
func TestRFC2136Mode(t *testing.T) {
	zoneText := "$ORIGIN mirrors.example.test.\n@ 3600 IN SOA ns1 hostmaster 1 3600 600 1209600 300\n@ 3600 IN NS ns1\nns1 3600 IN A 127.0.0.1\n"
	knot := dnsharness.Knot(t, dnsharness.Zone{Name: origin, ZoneText: zoneText, AllowUpdate: true,
		TSIG: &dnsharness.TSIG{Name: "update-key.", Secret: xfrSecret}}, dnsharness.Options{NoRRL: true})
	cfg := testConfig(t, fmt.Sprintf(`[[tsig]]
name = "update-key."
secret = %q
[publish]
mode = "rfc2136"
[publish.rfc2136]
server = %q
tsig_key = "update-key."
`, xfrSecret, knot.Addr))
	cfg.DNS.Enabled = false
	cfg.DNSSEC.Enabled = false
	s, err := New(context.Background(), cfg, quiet(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	stamp := time.Now().Unix() - 7
	if _, err := s.publisher.Publish(ctx, publish.Request{Tree: "altarch", Stamp: stamp}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0:%d:0", stamp)
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := dnsharness.Exchange(knot.Addr, "current."+origin, dns.TypeTXT, false)
		if err == nil && m.Answer[0].(*dns.TXT).Txt[0] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Knot never served %s: %v %v\n%s", want, m, err, knot.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m, err := dnsharness.Exchange(knot.Addr, "_trees.current."+origin, dns.TypeTXT, false)
	if err != nil || m.Answer[0].(*dns.TXT).Txt[0] != "content:altarch:vault" {
		t.Fatalf("_trees at Knot: %v %v", m, err)
	}
}
