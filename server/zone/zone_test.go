package zone

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

const origin = "mirrors.example.test."

func testConfig(t *testing.T, signed bool) *config.Config {
	t.Helper()
	doc := fmt.Sprintf(`state_dir = %q
[zone]
origin = %q
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
[[trees]]
name = "vault"
[dnssec]
enabled = %v
generate = true
`, t.TempDir(), origin, signed)
	cfg, err := config.Parse("test.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg
}

// memStore is the state in memory.
type memStore struct {
	mu    sync.Mutex
	state store.State
}

func (m *memStore) State(context.Context) (store.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return store.State{Serial: m.state.Serial, Stamps: maps.Clone(m.state.Stamps)}, nil
}

func (m *memStore) BumpSerial(_ context.Context, now time.Time) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state.Serial = max(m.state.Serial+1, uint32(now.Unix()))
	return m.state.Serial, nil
}

// publish commits a stamp the way the publisher does: a new serial, then
// the zone's Commit hook.
func (m *memStore) publish(tree string, stamp int64) store.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state.Serial++
	m.state.Stamps[tree] = stamp
	return store.State{Serial: m.state.Serial, Stamps: maps.Clone(m.state.Stamps)}
}

func newZone(t *testing.T, signed bool, st Store) *Zone {
	t.Helper()
	z, err := New(Options{Config: testConfig(t, signed), Store: st, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// recorder keeps the serials it was given.
type recorder struct {
	mu      sync.Mutex
	serials []uint32
}

func (r *recorder) ZoneChanged(s *Snapshot) {
	r.mu.Lock()
	r.serials = append(r.serials, s.Serial)
	r.mu.Unlock()
}

// TestSubscribersSeeEveryZoneOnceInOrder: concurrent publishes and
// re-signs reach every subscriber exactly once each, in increasing serial
// order, and all subscribers see the same sequence.
func TestSubscribersSeeEveryZoneOnceInOrder(t *testing.T) {
	st := &memStore{state: store.State{Serial: 1, Stamps: map[string]int64{}}}
	z := newZone(t, true, st)
	subs := []*recorder{{}, {}, {}}
	for _, r := range subs {
		z.Subscribe(r)
	}
	ctx := context.Background()
	if err := z.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				if w == 0 && i%5 == 0 {
					if err := z.Resign(ctx); err != nil {
						t.Error(err)
					}
					continue
				}
				z.Commit(st.publish("content", 1_800_000_000+int64(w*100+i)))
			}
		})
	}
	wg.Wait()
	first := subs[0].serials
	if len(first) < 2 {
		t.Fatalf("only %d deliveries", len(first))
	}
	for i := 1; i < len(first); i++ {
		if first[i] <= first[i-1] {
			t.Fatalf("serials not strictly increasing at %d: %v", i, first)
		}
	}
	for i, r := range subs[1:] {
		if !slices.Equal(r.serials, first) {
			t.Fatalf("subscriber %d saw %v, subscriber 0 saw %v", i+1, r.serials, first)
		}
	}
	if last := first[len(first)-1]; last != z.Current().Serial {
		t.Fatalf("last delivered %d, current %d", last, z.Current().Serial)
	}
}

// TestStaleStateIgnored: a state older than the one served is neither
// served nor delivered.
func TestStaleStateIgnored(t *testing.T) {
	st := &memStore{state: store.State{Serial: 10, Stamps: map[string]int64{}}}
	z := newZone(t, false, st)
	r := &recorder{}
	z.Subscribe(r)
	if err := z.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	served := z.Current().Serial
	z.Commit(store.State{Serial: served - 1, Stamps: map[string]int64{"content": 1_800_000_000}})
	if z.Current().Serial != served || len(r.serials) != 1 {
		t.Fatalf("a stale state was served: current %d, delivered %v", z.Current().Serial, r.serials)
	}
}

// blocker holds delivery until released.
type blocker struct {
	entered chan struct{}
	release chan struct{}
	armed   bool
}

func (b *blocker) ZoneChanged(*Snapshot) {
	if !b.armed {
		return
	}
	close(b.entered)
	<-b.release
}

// TestDNSAnswersWhileDeliveryBlocks: while a subscriber holds up delivery
// of a new zone (the writer holds the zone's lock), the DNS server keeps
// answering from the snapshot it has and Current does not wait: the hot
// path takes no lock a writer holds.
func TestDNSAnswersWhileDeliveryBlocks(t *testing.T) {
	st := &memStore{state: store.State{Serial: 1, Stamps: map[string]int64{}}}
	z := newZone(t, false, st)
	addr := fmt.Sprintf("127.0.0.1:%d", dnsharness.FreePort(t))
	srv := authdns.New(authdns.Config{UDPAddr: addr, TCPAddr: addr}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	z.Subscribe(Serve(srv))
	b := &blocker{entered: make(chan struct{}), release: make(chan struct{})}
	z.Subscribe(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := z.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go srv.Run(ctx)
	<-srv.Ready()
	before := z.Current().Serial
	b.armed = true
	done := make(chan struct{})
	go func() { z.Commit(st.publish("vault", 1_800_000_000)); close(done) }()
	<-b.entered
	for range 20 {
		got, err := dnsharness.Serial(addr, origin)
		if err != nil {
			t.Fatalf("DNS did not answer while delivery was held: %v", err)
		}
		if got != before && got != before+1 {
			t.Fatalf("served serial %d", got)
		}
		if z.Current() == nil {
			t.Fatal("no current zone")
		}
	}
	close(b.release)
	<-done
	if got, err := dnsharness.Serial(addr, origin); err != nil || got <= before {
		t.Fatalf("after delivery DNS serves %d (%v), want above %d", got, err, before)
	}
}
