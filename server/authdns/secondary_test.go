package authdns

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/notify"
)

// secondaryPoll bounds how long a secondary may take to serve a new serial
// after NOTIFY.
const secondaryPoll = 10 * time.Second

type startFunc func(testing.TB, dnsharness.Zone, dnsharness.Options) *dnsharness.Process

var secondaries = []struct {
	name  string
	start startFunc
}{{"nsd", dnsharness.NSD}, {"knot", dnsharness.Knot}}

// TestSecondaries runs NSD and Knot as TSIG secondaries of the server, of
// the zone unsigned and signed: the first transfer, then a change
// announced by NOTIFY.
func TestSecondaries(t *testing.T) {
	for _, sec := range secondaries {
		for _, signed := range []bool{false, true} {
			name := sec.name + map[bool]string{false: "-unsigned", true: "-signed"}[signed]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				testSecondary(t, sec.start, signed)
			})
		}
	}
}

func testSecondary(t *testing.T, start startFunc, signed bool) {
	var key *dnssec.Key
	zone := func(z Zone) *Snapshot {
		if signed {
			z = signZone(t, z, time.Now(), key)
		}
		return mustCompile(t, z)
	}
	if signed {
		key = newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	}
	cfg := xfrConfig(0)
	cfg.Transfer.AllowFrom = nil // TSIG only
	ts := startServer(t, cfg, zone(testZone()))
	p := start(t, dnsharness.Zone{
		Name: testOrigin, Primary: ts.tcp,
		TSIG: &dnsharness.TSIG{Name: xfrKey, Secret: xfrSecret},
	}, dnsharness.Options{NoRRL: true})
	checkServes(t, p, 2024010101, testRecord, signed)

	n := startTestNotifier(t, p.Addr)
	z := testZone()
	z.SOA.Serial++
	z.Record.Stamps[0] = 1700000000
	ts.Swap(zone(z))
	n.Notify(z.SOA.Serial)
	waitSerial(t, p, z.SOA.Serial)
	checkServes(t, p, z.SOA.Serial, z.Record.String(), signed)
	if strings.Contains(ts.logs.String(), "refused") {
		t.Errorf("a transfer was refused:\n%s", ts.logs)
	}
}

// TestSecondariesWrongKey checks that a secondary with the wrong secret
// never gets the zone and that the server logs why.
func TestSecondariesWrongKey(t *testing.T) {
	for _, sec := range secondaries {
		t.Run(sec.name, func(t *testing.T) {
			t.Parallel()
			cfg := xfrConfig(0)
			cfg.Transfer.AllowFrom = nil
			ts := startServer(t, cfg, mustCompile(t, testZone()))
			p := sec.start(t, dnsharness.Zone{
				Name: testOrigin, Primary: ts.tcp,
				TSIG: &dnsharness.TSIG{Name: xfrKey, Secret: badSecret},
			}, dnsharness.Options{NoRRL: true, NoWaitForZone: true})
			deadline := time.Now().Add(secondaryPoll)
			for !strings.Contains(ts.logs.String(), "tsig_error=BADSIG") {
				if time.Now().After(deadline) {
					t.Fatalf("no BADSIG refusal logged after %s\nserver:\n%s\n%s:\n%s", secondaryPoll, ts.logs, sec.name, p.Output())
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(500 * time.Millisecond) // room for a transfer that should not happen
			m, err := dnsharness.Exchange(p.Addr, testOrigin, dns.TypeSOA, false)
			if err == nil || (m != nil && m.Rcode == dns.RcodeSuccess && len(m.Answer) > 0) {
				t.Fatalf("%s serves the zone without the right key: %v", sec.name, m)
			}
			if strings.Contains(ts.logs.String(), "msg=\"zone transfer\"") {
				t.Fatalf("a transfer happened:\n%s", ts.logs)
			}
		})
	}
}

// startTestNotifier runs a Notifier for the secondary at addr, signing
// with the test key, retrying quickly.
func startTestNotifier(t *testing.T, addr string) *notify.Notifier {
	t.Helper()
	n, err := notify.New(notify.Config{
		Zone:    testOrigin,
		Targets: []notify.Target{{Addr: addr, Key: &notify.Key{Name: xfrKey, Secret: xfrSecret}}},
		SOA:     &dns.SOA{Hdr: dns.RR_Header{Ttl: 3600}, Ns: testNS1, Mbox: "hostmaster." + testOrigin, Refresh: 7200, Retry: 3600, Expire: 1209600, Minttl: 300},
		Timeout: 500 * time.Millisecond, InitialBackoff: 200 * time.Millisecond, MaxBackoff: time.Second, MaxTries: 5,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

// waitSerial polls p until it serves serial, at most secondaryPoll.
func waitSerial(t *testing.T, p *dnsharness.Process, serial uint32) {
	t.Helper()
	if err := dnsharness.WaitSerial(p.Addr, testOrigin, serial, secondaryPoll); err != nil {
		t.Fatalf("%s: %v\n%s", p.Name, err, p.Output())
	}
}

// checkServes asks p for the SOA serial and the signal, with its RRSIG
// when signed.
func checkServes(t *testing.T, p *dnsharness.Process, serial uint32, record string, signed bool) {
	t.Helper()
	if got, err := dnsharness.Serial(p.Addr, testOrigin); err != nil || got != serial {
		t.Fatalf("%s: serial %d, %v; want %d\n%s", p.Name, got, err, serial, p.Output())
	}
	m, err := dnsharness.Exchange(p.Addr, testSignal, dns.TypeTXT, false)
	if err != nil || m.Answer[0].(*dns.TXT).Txt[0] != record {
		t.Fatalf("%s: signal %v, %v; want %q", p.Name, m, err, record)
	}
	if sigs := rrsigsOf(m.Answer, testSignal, dns.TypeTXT); signed != (len(sigs) == 1) {
		t.Fatalf("%s: %d RRSIGs on the signal, signed zone: %v", p.Name, len(sigs), signed)
	}
}
