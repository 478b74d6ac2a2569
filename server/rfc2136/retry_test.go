package rfc2136

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// fakePrimary answers UPDATEs over TCP with the rcodes in script, one per
// update, then NOERROR; it records when each update came and what it held.
type fakePrimary struct {
	addr   string
	mu     sync.Mutex
	script []int
	times  []time.Time
	txts   []string // the signal TXT of each update
}

func startFakePrimary(t *testing.T, script ...int) *fakePrimary {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePrimary{addr: ln.Addr().String(), script: script}
	srv := &dns.Server{Listener: ln, Handler: f, MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return f
}

func (f *fakePrimary) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	f.mu.Lock()
	rcode := dns.RcodeSuccess
	if n := len(f.times); n < len(f.script) {
		rcode = f.script[n]
	}
	f.times = append(f.times, time.Now())
	txt := ""
	for _, rr := range r.Ns { // the update section
		if t, ok := rr.(*dns.TXT); ok && t.Hdr.Name == name && len(t.Txt) > 0 {
			txt = t.Txt[0]
		}
	}
	f.txts = append(f.txts, txt)
	f.mu.Unlock()
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	w.WriteMsg(m)
}

func (f *fakePrimary) updates() ([]time.Time, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.times...), append([]string(nil), f.txts...)
}

// TestPusherRetriesUntilAccepted: a primary that refuses twice (REFUSED,
// then SERVFAIL) gets the update again, after growing waits, until it
// accepts it; then nothing more is sent. A record set while the pusher
// waits replaces the one it was retrying.
func TestPusherRetriesUntilAccepted(t *testing.T) {
	primary := startFakePrimary(t, dns.RcodeRefused, dns.RcodeServerFailure)
	p := NewPusher(Target{Server: primary.addr, Zone: zone}, name, 300, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	layout := signal.Layout{"content", "altarch", "vault"}
	first := signal.Record{Layout: layout, Stamps: []int64{1488372781, 0, 0}}
	p.Set(first)
	deadline := time.Now().Add(firstRetry/2 + 5*time.Second)
	for times, _ := primary.updates(); len(times) < 2; times, _ = primary.updates() {
		if time.Now().After(deadline) {
			t.Fatalf("%d updates %s after the first was refused, want a retry", len(times), 5*time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Refused twice so far; the third try carries the newer record.
	newer := signal.Record{Layout: layout, Stamps: []int64{1488372781, 1488372999, 0}}
	p.mu.Lock() // replace the pending record without waking the pusher
	p.pending = &newer
	p.mu.Unlock()

	deadline = time.Now().Add(4*firstRetry + 5*time.Second)
	for times, _ := primary.updates(); len(times) < 3; times, _ = primary.updates() {
		if time.Now().After(deadline) {
			t.Fatalf("%d updates: the pusher gave up after two refusals", len(times))
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2 * firstRetry) // nothing more once accepted
	times, txts := primary.updates()
	want := []string{first.String(), first.String(), newer.String()}
	if len(txts) != len(want) {
		t.Fatalf("%d updates (%v), want exactly 3: two refused, one accepted", len(txts), txts)
	}
	for i := range want {
		if txts[i] != want[i] {
			t.Fatalf("update %d carried %q, want %q", i, txts[i], want[i])
		}
	}
	gap1, gap2 := times[1].Sub(times[0]), times[2].Sub(times[1])
	t.Logf("retried after %s, then after %s", gap1, gap2)
	if gap1 < firstRetry*9/10 || gap2 < gap1*3/2 {
		t.Fatalf("retry waits %s then %s; want at least %s, then growing", gap1, gap2, firstRetry)
	}
}
