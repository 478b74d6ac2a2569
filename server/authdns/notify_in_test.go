package authdns

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestNotifyRefusedAndLoggedOnce: NOTIFYs from anywhere, over UDP and TCP,
// are refused, change nothing, and leave one log line per interval.
func TestNotifyRefusedAndLoggedOnce(t *testing.T) {
	snap := mustCompile(t, testZone())
	ts := startServer(t, Config{}, snap)
	for i, network := range []string{"udp", "udp", "tcp", "udp"} {
		m := newQuery(testOrigin, dns.TypeSOA, withOpcode(dns.OpcodeNotify))
		r := ts.exchange(t, network, m)
		if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
			t.Fatalf("NOTIFY %d over %s: %s with %d answers, want REFUSED", i, network, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	if got := ts.snap.Load(); got != snap {
		t.Fatal("a NOTIFY replaced the zone")
	}
	if n := strings.Count(ts.logs.String(), "NOTIFY refused"); n != 1 {
		t.Fatalf("%d log lines for 4 NOTIFYs within a second, want 1:\n%s", n, ts.logs.String())
	}
	soa := ts.exchange(t, "udp", newQuery(testOrigin, dns.TypeSOA))
	if soa.Rcode != dns.RcodeSuccess || soa.Answer[0].(*dns.SOA).Serial != testZone().SOA.Serial {
		t.Fatalf("zone after NOTIFYs: %v", soa)
	}
}
