package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

const testSecret = "0123456789abcdef-test-secret"

// receiver is a webhook endpoint that checks each POST's signature and
// answers with the given statuses in turn (200 after the last).
type receiver struct {
	srv      *httptest.Server
	statuses []int

	mu       sync.Mutex
	attempts int
	payloads []payload // accepted ones
	problems []string
}

func startReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<16))
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	wantSig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	var p payload
	err := json.Unmarshal(body, &p)

	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json":
		r.problems = append(r.problems, "method or content type: "+req.Method+" "+req.Header.Get("Content-Type"))
	case !hmac.Equal([]byte(req.Header.Get(SignatureHeader)), []byte(wantSig)):
		r.problems = append(r.problems, "bad signature "+req.Header.Get(SignatureHeader))
	case err != nil:
		r.problems = append(r.problems, "bad JSON: "+err.Error())
	case req.Header.Get(TimestampHeader) != strconv.FormatInt(p.Timestamp, 10):
		r.problems = append(r.problems, "timestamp header "+req.Header.Get(TimestampHeader))
	case len(body) > 4096:
		r.problems = append(r.problems, fmt.Sprintf("body of %d bytes", len(body)))
	}
	status := http.StatusOK
	if r.attempts < len(r.statuses) {
		status = r.statuses[r.attempts]
	}
	r.attempts++
	if status == http.StatusOK {
		r.payloads = append(r.payloads, p)
	}
	w.WriteHeader(status)
}

func (r *receiver) got() (attempts int, payloads []payload, problems []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, append([]payload(nil), r.payloads...), append([]string(nil), r.problems...)
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// webhookNotifier returns a Notifier posting to r, with a settable clock
// and the waits between tries recorded instead of slept.
func webhookNotifier(t *testing.T, r *receiver, tries int) (*Notifier, *clock, *[]time.Duration) {
	t.Helper()
	n, err := New(Config{Webhook: &WebhookConfig{URL: r.srv.URL, Secret: testSecret, MaxTries: tries}},
		prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: t0}
	n.now = clk.Now
	var mu sync.Mutex
	waits := new([]time.Duration)
	n.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return nil
	}
	return n, clk, waits
}

// runNotifier runs n until the test ends.
func runNotifier(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func TestWebhookOnePOSTPerTransition(t *testing.T) {
	r := startReceiver(t)
	n, clk, _ := webhookNotifier(t, r, 0)
	runNotifier(t, n)
	tr := func(mirror string, from, to checker.State) checker.Transition {
		return checker.Transition{Mirror: mirror, Tree: "content", From: from, To: to, At: clk.Now(), Err: "reset\r\nX-Evil: 1"}
	}
	n.Notify(t.Context(), []checker.Transition{
		tr("a.example.net", F, U), tr("b.example.net", F, E), tr("c.example.net", N, F),
	})
	waitFor(t, func() bool { _, p, _ := r.got(); return len(p) >= 2 })
	clk.Add(2 * time.Hour)
	n.Notify(t.Context(), []checker.Transition{tr("a.example.net", U, F)})
	waitFor(t, func() bool { _, p, _ := r.got(); return len(p) >= 3 })
	time.Sleep(100 * time.Millisecond) // room for a wrong fourth POST

	attempts, payloads, problems := r.got()
	if attempts != 3 || len(problems) > 0 {
		t.Fatalf("%d POSTs, problems %v; want 3 good ones", attempts, problems)
	}
	var got []string
	for _, p := range payloads {
		got = append(got, fmt.Sprintf("%s %s %s->%s %q", p.Type, p.Mirror, p.From, p.To, p.Error))
	}
	want := `[unreachable a.example.net fresh->unreachable "reset  X-Evil: 1" ` +
		`error b.example.net fresh->error "reset  X-Evil: 1" ` +
		`back a.example.net unreachable->fresh "reset  X-Evil: 1"]`
	if fmt.Sprint(got) != want {
		t.Errorf("payloads\n got %v\nwant %s", got, want)
	}
	if p := payloads[0]; time.Since(time.Unix(p.Timestamp, 0)).Abs() > time.Minute || !p.At.Equal(t0) || p.Tree != "content" || len(p.ID) != 32 ||
		p.Summary != "a.example.net content: unreachable" {
		t.Errorf("first payload %+v", p)
	}
	if s := value(n.met.sent.WithLabelValues("webhook")); s != 3 {
		t.Errorf("sent metric %v, want 3", s)
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		tries        int
		wantAttempts int
		wantWaits    string
		sent, failed float64
	}{
		{"retried until accepted", []int{500, 503, 200}, 4, 3, "[5s 10s]", 1, 0},
		{"rate limited", []int{429}, 4, 2, "[5s]", 1, 0},
		{"refused at once", []int{400}, 4, 1, "[]", 0, 1},
		{"redirect not followed", []int{302}, 4, 1, "[]", 0, 1},
		{"gives up after the tries", []int{500, 500, 500, 500}, 3, 3, "[5s 10s]", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startReceiver(t, tt.statuses...)
			n, _, waits := webhookNotifier(t, r, tt.tries)
			runNotifier(t, n)
			n.Notify(t.Context(), []checker.Transition{{Mirror: "a.example.net", Tree: "content", From: F, To: U, At: t0}})
			waitFor(t, func() bool {
				return value(n.met.sent.WithLabelValues("webhook"))+
					value(n.met.failed.WithLabelValues("webhook")) >= 1
			})
			attempts, _, problems := r.got()
			if attempts != tt.wantAttempts || len(problems) > 0 {
				t.Errorf("%d attempts, problems %v; want %d", attempts, problems, tt.wantAttempts)
			}
			if fmt.Sprint(*waits) != tt.wantWaits {
				t.Errorf("waits %v, want %s", *waits, tt.wantWaits)
			}
			sent := value(n.met.sent.WithLabelValues("webhook"))
			failed := value(n.met.failed.WithLabelValues("webhook"))
			if sent != tt.sent || failed != tt.failed {
				t.Errorf("sent %v failed %v, want %v %v", sent, failed, tt.sent, tt.failed)
			}
		})
	}
}

func TestSign(t *testing.T) {
	// RFC 4231 test case 2.
	got := Sign([]byte("Jefe"), []byte("what do ya want for nothing?"))
	want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
