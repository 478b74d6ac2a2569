package nscheck

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const (
	origin     = "nscheck.example.test."
	signalName = "current." + origin
	grace      = 300 * time.Second
)

// zoneText is the test zone at serial, with the signal stamp.
func zoneText(serial uint32, stamp int64) string {
	return fmt.Sprintf(`$ORIGIN %s
@ 3600 IN SOA ns1 hostmaster %d 3600 600 1209600 300
@ 3600 IN NS ns1
ns1 3600 IN A 127.0.0.1
current 300 IN TXT "%d"
`, origin, serial, stamp)
}

// snapshot is what signald would serve at serial with stamp.
func snapshot(serial uint32, stamp int64) *zone.Snapshot {
	return &zone.Snapshot{Name: signalName, Serial: serial,
		Record: signal.Record{Layout: signal.Layout{"content"}, Stamps: []int64{stamp}}}
}

// clock is a settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder keeps every batch of changes handed to OnChange.
type recorder struct {
	mu      sync.Mutex
	batches [][]Change
}

func (r *recorder) OnChange(cs []Change) {
	r.mu.Lock()
	r.batches = append(r.batches, cs)
	r.mu.Unlock()
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.batches) }

// newChecker checks servers with a fake clock, recording changes and
// metrics.
func newChecker(t *testing.T, servers []Server) (*Checker, *clock, *recorder, *prometheus.Registry) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	reg := prometheus.NewRegistry()
	c, err := New(Options{
		Config:   Config{Zone: origin, SignalName: signalName, Servers: servers, Grace: grace, Timeout: 500 * time.Millisecond},
		OnChange: rec.OnChange, Registerer: reg, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, clk, rec, reg
}

// check runs a round and compares its changes with want, given as
// "name:from>to" strings.
func check(t *testing.T, c *Checker, want ...string) []Change {
	t.Helper()
	changes, err := c.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range changes {
		got = append(got, fmt.Sprintf("%s:%s>%s", ch.Server.Name, ch.From, ch.To))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("changes %v, want %v\nview: %+v", got, want, c.View().Servers)
	}
	return changes
}

// refusing serves REFUSED to everything over UDP on loopback.
func refusing(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeRefused)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestStates: against real NSD and Knot primaries, a server one serial
// behind is flagged lagging only once the grace has passed and cleared
// when it serves the current zone; a closed port is unreachable, a server
// without the zone an error, and the current serial with another signal
// wrong. Each change is handed over once.
func TestStates(t *testing.T) {
	const stamp, oldStamp = 1_770_000_000, 1_769_990_000
	opts := dnsharness.Options{NoRRL: true}
	current := dnsharness.NSD(t, dnsharness.Zone{Name: origin, ZoneText: zoneText(10, stamp)}, opts)
	lagPort := dnsharness.FreePort(t)
	lagOpts := dnsharness.Options{NoRRL: true, Port: lagPort}
	lagging := dnsharness.NSD(t, dnsharness.Zone{Name: origin, ZoneText: zoneText(9, oldStamp)}, lagOpts)
	wrong := dnsharness.Knot(t, dnsharness.Zone{Name: origin, ZoneText: zoneText(10, 1_600_000_000)}, opts)
	closed := fmt.Sprintf("127.0.0.1:%d", dnsharness.FreePort(t))
	servers := []Server{{"current", current.Addr}, {"lagging", lagging.Addr}, {"wrong", wrong.Addr},
		{"closed", closed}, {"refused", refusing(t)}}
	c, clk, rec, reg := newChecker(t, servers)

	if _, err := c.Check(context.Background()); err == nil {
		t.Fatal("a check without a zone to compare with passed")
	}
	c.ZoneChanged(snapshot(10, stamp))
	check(t, c, "wrong:unknown>wrong", "closed:unknown>unreachable", "refused:unknown>error")
	v := c.View()
	if lag := v.Servers[1]; lag.State != OK || lag.Serial != 9 || lag.SerialLag != 1 || lag.TXT != fmt.Sprint(oldStamp) {
		t.Fatalf("the lagging server within the grace: %+v", lag)
	}
	if w := v.Servers[2]; w.Serial != 10 || w.TXT != "1600000000" || !strings.Contains(w.LastError, "1600000000") {
		t.Fatalf("the wrong server: %+v", w)
	}
	if cl := v.Servers[3]; cl.LastError == "" || !cl.Answered.IsZero() {
		t.Fatalf("the closed port: %+v", cl)
	}

	clk.Add(grace - time.Second)
	check(t, c)
	clk.Add(time.Second)
	changes := check(t, c, "lagging:ok>lagging")
	if ch := changes[0]; ch.Serial != 9 || ch.Want != 10 || ch.Lag != grace || !ch.Flagged() || ch.WantTXT != fmt.Sprint(stamp) {
		t.Fatalf("change %+v", ch)
	}
	check(t, c) // once per change
	wantGauge(t, reg, "mirrorsignal_nscheck_serial_lag", "lagging", "", 1)
	wantGauge(t, reg, "mirrorsignal_nscheck_lag_seconds", "lagging", "", grace.Seconds())
	wantGauge(t, reg, "mirrorsignal_nscheck_state", "lagging", "lagging", 1)
	wantGauge(t, reg, "mirrorsignal_nscheck_state", "lagging", "ok", 0)
	wantGauge(t, reg, "mirrorsignal_nscheck_state", "closed", "unreachable", 1)

	lagging.Stop()
	dnsharness.NSD(t, dnsharness.Zone{Name: origin, ZoneText: zoneText(10, stamp)}, lagOpts) // on the same port
	clk.Add(time.Minute)
	changes = check(t, c, "lagging:lagging>ok")
	if changes[0].Flagged() || changes[0].Serial != 10 {
		t.Fatalf("clear %+v", changes[0])
	}
	wantGauge(t, reg, "mirrorsignal_nscheck_serial_lag", "lagging", "", 0)
	wantGauge(t, reg, "mirrorsignal_nscheck_state", "lagging", "ok", 1)
	if n := rec.count(); n != 3 {
		t.Fatalf("%d batches handed over, want 3", n)
	}
}

// wantGauge fails unless the gauge of server (and state, when not "")
// has value.
func wantGauge(t *testing.T, reg *prometheus.Registry, name, server, state string, value float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["server"] == server && labels["state"] == state {
				if got := m.GetGauge().GetValue(); got != value {
					t.Fatalf("%s{server=%q,state=%q} = %v, want %v", name, server, state, got, value)
				}
				return
			}
		}
	}
	t.Fatalf("no %s{server=%q,state=%q}", name, server, state)
}
