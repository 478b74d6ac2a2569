package nscheck

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/sigquery"
)

// TestSecondaryWithoutNotify: a Knot primary moves to a new serial by a
// dynamic update and notifies nobody, so its NSD secondary keeps the old
// serial (its SOA refresh is an hour). The secondary is flagged lagging
// once the grace has passed, and cleared once a NOTIFY made it transfer.
func TestSecondaryWithoutNotify(t *testing.T) {
	const stamp, newStamp = 1_770_000_000, 1_770_000_600
	opts := dnsharness.Options{NoRRL: true}
	primary := knotPrimary(t, zoneText(10, stamp))
	secondary := dnsharness.NSD(t, dnsharness.Zone{Name: origin, Primary: primary.Addr}, opts)
	if err := dnsharness.WaitSerial(secondary.Addr, origin, 10, 15*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, secondary.Output())
	}
	c, clk, _, _ := newChecker(t, []Server{{"primary", primary.Addr}, {"secondary", secondary.Addr}})
	c.ZoneChanged(snapshot(10, stamp))
	check(t, c)

	serial := update(t, primary.Addr, newStamp)
	c.ZoneChanged(snapshot(serial, newStamp))
	clk.Add(grace / 2)
	check(t, c)
	if s := c.View().Servers[1]; s.Serial != 10 || s.SerialLag != serial-10 || s.Lag != grace/2 {
		t.Fatalf("the secondary did not stay behind: %+v", s)
	}
	clk.Add(grace / 2)
	changes := check(t, c, "secondary:ok>lagging")
	if ch := changes[0]; ch.Serial != 10 || ch.Want != serial || ch.Lag != grace {
		t.Fatalf("change %+v", ch)
	}

	sendNotify(t, secondary.Addr, serial)
	if err := dnsharness.WaitSerial(secondary.Addr, origin, serial, 15*time.Second); err != nil {
		t.Fatalf("no transfer after NOTIFY: %v\n%s", err, secondary.Output())
	}
	clk.Add(time.Minute)
	check(t, c, "secondary:lagging>ok")
	if s := c.View().Servers[1]; s.TXT != fmt.Sprint(newStamp) || s.SerialLag != 0 || s.Lag != 0 {
		t.Fatalf("after the transfer: %+v", s)
	}
}

// knotPrimary starts Knot serving text, allowing transfers and unsigned
// dynamic updates from loopback, and notifying nobody.
func knotPrimary(t *testing.T, text string) *dnsharness.Process {
	t.Helper()
	file := filepath.Join(t.TempDir(), "zone.db")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`acl:
  - id: local
    address: 127.0.0.0/8
    action: [transfer, update]
zone:
  - domain: %s
    file: %q
    acl: local
`, origin, file)
	return dnsharness.KnotWithConfig(t, origin, conf, dnsharness.Options{NoRRL: true})
}

// update replaces the signal at primary by an unsigned dynamic update and
// returns the serial the primary serves then.
func update(t *testing.T, primary string, stamp int64) uint32 {
	t.Helper()
	before, err := dnsharness.Serial(primary, origin)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := dns.NewRR(fmt.Sprintf(`%s 300 IN TXT "%d"`, signalName, stamp))
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate(origin)
	m.RemoveRRset([]dns.RR{rr})
	m.Insert([]dns.RR{rr})
	r, err := sigquery.Exchange(t.Context(), primary, m, 2*time.Second)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update: %v %v", r, err)
	}
	after, err := dnsharness.Serial(primary, origin)
	if err != nil || !SerialBefore(before, after) {
		t.Fatalf("primary serial %d after the update (%v), was %d", after, err, before)
	}
	return after
}

// sendNotify tells addr that origin changed to serial (RFC 1996).
func sendNotify(t *testing.T, addr string, serial uint32) {
	t.Helper()
	m := new(dns.Msg)
	m.SetNotify(origin)
	soa, err := dns.NewRR(fmt.Sprintf("%s 3600 IN SOA ns1.%s hostmaster.%s %d 3600 600 1209600 300", origin, origin, origin, serial))
	if err != nil {
		t.Fatal(err)
	}
	m.Answer = []dns.RR{soa}
	r, err := sigquery.Exchange(t.Context(), addr, m, 2*time.Second)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("NOTIFY: %v %v", r, err)
	}
}
