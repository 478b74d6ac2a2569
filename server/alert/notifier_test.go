package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// recorder is a sender that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs []message
}

func (r *recorder) name() string { return "test" }

func (r *recorder) send(_ context.Context, m message) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return nil
}

func (r *recorder) kinds() []Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []Kind
	for _, m := range r.msgs {
		ks = append(ks, m.Kind)
	}
	return ks
}

func testNotifier(t *testing.T, queue int) (*Notifier, *recorder, *clock) {
	t.Helper()
	rec := &recorder{}
	n, err := newNotifier(Config{}, []*channel{newChannel(rec, 1, queue)}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: t0}
	n.now = clk.Now
	return n, rec, clk
}

func TestQueueDropsOldest(t *testing.T) {
	n, _, _ := testNotifier(t, 2)
	var trs []checker.Transition
	for i := range 5 {
		trs = append(trs, checker.Transition{Mirror: fmt.Sprintf("m%d", i), Tree: "t", From: F, To: U, At: t0})
	}
	n.Notify(t.Context(), trs) // nothing runs: the queue keeps the last two
	c := n.channels[0]
	var got []string
	for range 5 {
		m, ok, _ := c.pop()
		if !ok {
			break
		}
		got = append(got, m.Mirror)
	}
	if fmt.Sprint(got) != "[m3 m4]" {
		t.Errorf("queue kept %v, want [m3 m4]", got)
	}
	if d := value(n.met.dropped.WithLabelValues("test")); d != 3 {
		t.Errorf("dropped metric %v, want 3", d)
	}
}

// TestRunTicks: Run's ticker turns a long lag into a stale message and
// lets a held message go once the gap has passed.
func TestRunTicks(t *testing.T) {
	n, rec, clk := testNotifier(t, 10)
	n.tickEvery = 5 * time.Millisecond
	runNotifier(t, n)
	n.Notify(t.Context(), []checker.Transition{{Mirror: "m", Tree: "t", From: F, To: B, At: t0}})
	time.Sleep(30 * time.Millisecond)
	if k := rec.kinds(); len(k) != 0 {
		t.Fatalf("messages %v before StaleAfter", k)
	}
	clk.Set(t0.Add(DefaultStaleAfter))
	waitFor(t, func() bool { return len(rec.kinds()) == 1 })
	n.Notify(t.Context(), []checker.Transition{{Mirror: "m", Tree: "t", From: B, To: F, At: clk.Now()}})
	time.Sleep(30 * time.Millisecond)
	if k := rec.kinds(); len(k) != 1 {
		t.Fatalf("messages %v within the gap", k)
	}
	clk.Add(DefaultMinGap)
	waitFor(t, func() bool { return len(rec.kinds()) == 2 })
	if k := fmt.Sprint(rec.kinds()); k != "[stale back]" {
		t.Errorf("messages %s, want [stale back]", k)
	}
}

// TestNotifierFlapping: 20 flaps in 10 minutes, then an hour of ticks:
// two messages, the last one right, the rest counted as suppressed.
func TestNotifierFlapping(t *testing.T) {
	n, _, clk := testNotifier(t, 100)
	from, to := F, U
	for range 20 {
		clk.Add(30 * time.Second)
		n.Notify(t.Context(), []checker.Transition{{Mirror: "m", Tree: "t", From: from, To: to, At: clk.Now()}})
		from, to = to, from
	}
	for range 70 {
		clk.Add(time.Minute)
		n.tick()
	}
	var got []string
	for range 100 {
		m, ok, _ := n.channels[0].pop()
		if !ok {
			break
		}
		got = append(got, fmt.Sprintf("%s/%d", m.Kind, m.Suppressed))
	}
	if fmt.Sprint(got) != "[unreachable/0 back/18]" {
		t.Errorf("messages %v, want [unreachable/0 back/18]", got)
	}
	if s := value(n.met.suppressed); s != 18 {
		t.Errorf("suppressed metric %v, want 18", s)
	}
}

func TestNameServerNotify(t *testing.T) {
	n, _, clk := testNotifier(t, 10)
	n.NotifyNameServers(t.Context(), []NameServerLag{{Server: "ns2.example.net", Serial: 5, Want: 6, Since: t0}})
	clk.Add(DefaultNameServerGrace)
	n.tick()
	m, ok, _ := n.channels[0].pop()
	if !ok || m.title() != "name server ns2.example.net: stale serial 5 (want 6, for 15m)" {
		t.Errorf("message %v %q", ok, m.title())
	}
}

func TestNewValidates(t *testing.T) {
	_, err := New(Config{Webhook: &WebhookConfig{URL: "ftp://x", Secret: "short"}}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Error("New accepted a bad webhook")
	}
}
