package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
)

// TestRFC2136PrimaryDownAtFirst: in publish.mode = "rfc2136" a publish is
// acknowledged while the primary is down; signald logs the failed update,
// keeps retrying, and the record reaches the primary (a real Knot with
// TSIG) once it starts.
func TestRFC2136PrimaryDownAtFirst(t *testing.T) {
	const secret = "c2lnbmFsZC10ZXN0LXVwZGF0ZS1zZWNyZXQtMzJieXRlcw=="
	port := dnsharness.FreePort(t)
	primary := fmt.Sprintf("127.0.0.1:%d", port)
	in := newInstance(t)
	appendConfig(t, in.cfg, fmt.Sprintf(`[[tsig]]
name = "update-key."
secret = %q
[publish]
mode = "rfc2136"
[publish.rfc2136]
server = %q
tsig_key = "update-key."
timeout = "1s"
`, secret, primary))
	in.start(t)

	stamp := time.Now().Unix() - 7
	if err := in.publish(t.Context(), "altarch", stamp); err != nil {
		t.Fatalf("publish with the primary down: %v\n%s", err, in.stderr)
	}
	if !waitFor(10*time.Second, func() bool { return countLines(in.stderr.String(), "dynamic update failed", primary) > 0 }) {
		t.Fatalf("no failed update to %s logged; log:\n%s", primary, in.stderr)
	}

	zoneText := "$ORIGIN mirrors.example.test.\n@ 3600 IN SOA ns1 hostmaster 1 3600 600 1209600 300\n@ 3600 IN NS ns1\nns1 3600 IN A 127.0.0.1\n"
	knot := dnsharness.Knot(t, dnsharness.Zone{Name: zoneOrigin, ZoneText: zoneText, AllowUpdate: true,
		TSIG: &dnsharness.TSIG{Name: "update-key.", Secret: secret}}, dnsharness.Options{NoRRL: true, Port: port})
	want := fmt.Sprintf("0:%d:0", stamp)
	var got string
	if !waitFor(20*time.Second, func() bool {
		m, err := dnsharness.Exchange(knot.Addr, "current."+zoneOrigin, dns.TypeTXT, false)
		got = fmt.Sprint(m, err)
		return err == nil && m.Answer[0].(*dns.TXT).Txt[0] == want
	}) {
		t.Fatalf("Knot never served %s once started: %s\nsignald:\n%s\nknot:\n%s", want, got, in.stderr, knot.Output())
	}
	m, err := dnsharness.Exchange(knot.Addr, "_trees.current."+zoneOrigin, dns.TypeTXT, false)
	if err != nil || m.Answer[0].(*dns.TXT).Txt[0] != "content:altarch:vault" {
		t.Fatalf("_trees at Knot: %v %v", m, err)
	}
	if !strings.Contains(in.stderr.String(), "dynamic update accepted") {
		t.Fatalf("no accepted update logged:\n%s", in.stderr)
	}
	t.Logf("%d failed updates before the primary came up", countLines(in.stderr.String(), "dynamic update failed"))
}
