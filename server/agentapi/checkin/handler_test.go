package checkin

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var (
	t0     = time.Unix(1_800_000_000, 0)
	tokens = map[string][]byte{
		"m1.example.net": []byte("secret-of-mirror-one"),
		"m2.example.net": []byte("secret-of-mirror-two"),
	}
)

// fixture is a handler with a settable clock, counting Recheck calls.
type fixture struct {
	h   *Handler
	reg *prometheus.Registry
	mux *http.ServeMux

	mu       sync.Mutex
	now      time.Time
	rechecks []string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{reg: prometheus.NewRegistry(), now: t0, mux: http.NewServeMux()}
	h, err := New(Options{
		Tokens: func(m string) ([]byte, bool) { tok, ok := tokens[m]; return tok, ok },
		Recheck: func(m string) bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.rechecks = append(f.rechecks, m)
			_, ok := tokens[m]
			return ok
		},
		Registerer: f.reg,
		Now:        f.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	h.Register(f.mux)
	return f
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fixture) rechecked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rechecks...)
}

// signed is a check-in request as the agent builds it.
type signed struct {
	mirror, ts, sig string
	body            []byte
}

func body(mirror string, ts int64) []byte {
	return fmt.Appendf(nil, `{"mirror":%q,"trees":{"content":1799999000},"time":%d}`, mirror, ts)
}

func sign(token []byte, mirror string, ts int64, b []byte) signed {
	s := strconv.FormatInt(ts, 10)
	sig := mac(token, s, b)
	return signed{mirror, s, hex.EncodeToString(sig[:]), b}
}

func valid(mirror string, at time.Time) signed {
	return sign(tokens[mirror], mirror, at.Unix(), body(mirror, at.Unix()))
}

func (f *fixture) post(s signed) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/checkin", bytes.NewReader(s.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range map[string]string{HeaderMirror: s.mirror, HeaderTimestamp: s.ts, HeaderSignature: s.sig} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) count(result string) float64 {
	var m dto.Metric
	if err := f.h.m.checkins.WithLabelValues(result).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func TestCheckin(t *testing.T) {
	const m1 = "m1.example.net"
	ts := t0.Unix()
	tests := []struct {
		name string
		// before runs requests first (their Rechecks are not counted).
		before     []signed
		req        signed
		status     int
		result     string
		wantReason string
	}{
		{name: "valid", req: valid(m1, t0), status: 202, result: resultAccepted, wantReason: `{"recheck":true}`},
		{name: "valid 5 min old", req: valid(m1, t0.Add(-MaxSkew)), status: 202, result: resultAccepted},
		{name: "valid upper-case hex", req: func() signed {
			s := valid(m1, t0)
			s.sig = strings.ToUpper(s.sig)
			return s
		}(), status: 202, result: resultAccepted},
		{name: "forged: wrong token", req: sign([]byte("not-the-secret-at-all"), m1, ts, body(m1, ts)),
			status: 401, result: resultForged, wantReason: msgAuth},
		{name: "forged: body changed after signing", req: func() signed {
			s := valid(m1, t0)
			s.body = body(m1, ts+1)
			return s
		}(), status: 401, result: resultForged, wantReason: msgAuth},
		{name: "forged: other mirror's token", req: sign(tokens["m2.example.net"], m1, ts, body(m1, ts)),
			status: 401, result: resultForged, wantReason: msgAuth},
		{name: "unknown mirror", req: sign([]byte("whatever-token-123"), "nope.example.net", ts, body("nope.example.net", ts)),
			status: 401, result: resultUnknown, wantReason: msgAuth},
		{name: "replayed", before: []signed{valid(m1, t0)}, req: valid(m1, t0),
			status: 409, result: resultReplayed, wantReason: "replayed"},
		{name: "replayed in upper-case hex", before: []signed{valid(m1, t0)}, req: func() signed {
			s := valid(m1, t0)
			s.sig = strings.ToUpper(s.sig)
			return s
		}(), status: 409, result: resultReplayed},
		{name: "expired: 6 min old", req: valid(m1, t0.Add(-6*time.Minute)), status: 401, result: resultExpired, wantReason: "timestamp more than 5m0s"},
		{name: "expired: 6 min ahead", req: valid(m1, t0.Add(6*time.Minute)), status: 401, result: resultExpired, wantReason: "timestamp more than 5m0s"},
		{name: "expired, unknown mirror: same answer", req: sign([]byte("x"), "nope.example.net", ts-360, body("nope", ts-360)),
			status: 401, result: resultExpired, wantReason: "timestamp more than 5m0s"},
		{name: "wrong mirror in body", req: sign(tokens[m1], m1, ts, body("m2.example.net", ts)),
			status: 400, result: resultBad, wantReason: "body names another mirror"},
		{name: "body time differs", req: sign(tokens[m1], m1, ts, body(m1, ts-10)),
			status: 400, result: resultBad, wantReason: "body time differs"},
		{name: "oversized body", req: sign(tokens[m1], m1, ts, append(body(m1, ts), bytes.Repeat([]byte(" "), MaxBody)...)),
			status: 413, result: resultBad, wantReason: "body larger than 4096 bytes"},
		{name: "bad JSON", req: sign(tokens[m1], m1, ts, []byte(`{"mirror":`)), status: 400, result: resultBad, wantReason: "bad JSON body"},
		{name: "unknown field", req: sign(tokens[m1], m1, ts, fmt.Appendf(nil, `{"mirror":%q,"time":%d,"fresh":true}`, m1, ts)),
			status: 400, result: resultBad, wantReason: `unknown field "fresh"`},
		{name: "trailing data", req: sign(tokens[m1], m1, ts, append(body(m1, ts), '}')), status: 400, result: resultBad, wantReason: "trailing data"},
		{name: "missing signature", req: signed{m1, strconv.FormatInt(ts, 10), "", body(m1, ts)}, status: 400, result: resultBad, wantReason: "missing"},
		{name: "signature not hex", req: signed{m1, strconv.FormatInt(ts, 10), "zz", body(m1, ts)}, status: 400, result: resultBad, wantReason: "not a hex HMAC"},
		{name: "timestamp with leading zero", req: func() signed {
			// Signed over the non-canonical form too: it must not verify either way.
			s := valid(m1, t0)
			s.ts = "0" + s.ts
			sig := mac(tokens[m1], s.ts, s.body)
			s.sig = hex.EncodeToString(sig[:])
			return s
		}(), status: 400, result: resultBad, wantReason: "not decimal Unix seconds"},
		{name: "rate limited after the burst", before: []signed{valid(m1, t0.Add(-3*time.Second)), valid(m1, t0.Add(-2*time.Second)), valid(m1, t0.Add(-1*time.Second))},
			req: valid(m1, t0), status: 429, result: resultLimited, wantReason: "rate limited"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for _, b := range tc.before {
				if rec := f.post(b); rec.Code != http.StatusAccepted {
					t.Fatalf("setup request: %d %s", rec.Code, rec.Body)
				}
			}
			before := len(f.rechecked())
			rec := f.post(tc.req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.wantReason) {
				t.Fatalf("got %d %q, want %d containing %q", rec.Code, rec.Body, tc.status, tc.wantReason)
			}
			if got := f.count(tc.result); got != 1 {
				t.Errorf("checkins_total{result=%q} = %v, want 1", tc.result, got)
			}
			got := f.rechecked()[before:]
			switch {
			case tc.status == 202 && (len(got) != 1 || got[0] != m1):
				t.Errorf("Recheck calls %q, want [%s]", got, m1)
			case tc.status != 202 && len(got) != 0:
				t.Errorf("refused, yet Recheck called for %q", got)
			case tc.status != 202 && strings.Count(strings.TrimSpace(rec.Body.String()), "\n") != 0:
				t.Errorf("reason is not one line: %q", rec.Body)
			}
		})
	}
}

func TestRateLimitRefills(t *testing.T) {
	const m1 = "m1.example.net"
	f := newFixture(t)
	for i := range RateBurst {
		if rec := f.post(valid(m1, t0.Add(time.Duration(i)*time.Second))); rec.Code != 202 {
			t.Fatalf("check-in %d of the burst: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := f.post(valid(m1, t0.Add(10*time.Second)))
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "30" {
		t.Fatalf("over the burst: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := f.post(valid("m2.example.net", t0)); rec.Code != 202 {
		t.Fatalf("another mirror is limited too: %d", rec.Code)
	}
	f.advance(RateEvery)
	if rec := f.post(valid(m1, t0.Add(11*time.Second))); rec.Code != 202 {
		t.Fatalf("after %s: %d %s", RateEvery, rec.Code, rec.Body)
	}
	// A limited request was never acted on: it may come again once allowed.
	f.advance(RateEvery)
	if rec := f.post(valid(m1, t0.Add(10*time.Second))); rec.Code != 202 {
		t.Fatalf("retry of a limited check-in: %d %s", rec.Code, rec.Body)
	}
}

func TestForgedDoesNotSpendTheBudget(t *testing.T) {
	const m1 = "m1.example.net"
	f := newFixture(t)
	for i := range 10 {
		ts := t0.Unix() + int64(i)
		f.post(sign([]byte("attacker-guess-0000"), m1, ts, body(m1, ts)))
	}
	if rec := f.post(valid(m1, t0)); rec.Code != 202 {
		t.Fatalf("forged requests spent the mirror's budget: %d %s", rec.Code, rec.Body)
	}
}

func TestReplayMemoryIsBounded(t *testing.T) {
	const m1 = "m1.example.net"
	f := newFixture(t)
	for i := range 200 {
		f.advance(RateEvery)
		if rec := f.post(valid(m1, f.clock())); rec.Code != 202 {
			t.Fatalf("check-in %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	f.h.guard.mu.Lock()
	n := len(f.h.guard.mirrors[m1].seen)
	f.h.guard.mu.Unlock()
	if limit := int(2 * MaxSkew / RateEvery); n > limit+1 {
		t.Fatalf("%d signatures remembered, want at most %d", n, limit+1)
	}
	// Once the window has passed, the mirror leaves no state behind.
	f.advance(2*MaxSkew + time.Second)
	f.post(valid("m2.example.net", f.clock()))
	f.h.guard.mu.Lock()
	defer f.h.guard.mu.Unlock()
	if _, ok := f.h.guard.mirrors[m1]; ok {
		t.Fatal("expired mirror state kept")
	}
}

func TestRecheckUnknownToChecker(t *testing.T) {
	f := newFixture(t)
	f.h.o.Recheck = func(string) bool { return false }
	if rec := f.post(valid("m1.example.net", t0)); rec.Code != 401 || !strings.Contains(rec.Body.String(), msgAuth) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if f.count(resultUnknown) != 1 {
		t.Fatal("not counted as unknown")
	}
}

func TestOnlyPost(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/checkin", nil))
	if rec.Code != http.StatusMethodNotAllowed || len(f.rechecked()) != 0 {
		t.Fatalf("GET: %d", rec.Code)
	}
}

func TestNewRequiresFuncs(t *testing.T) {
	if _, err := New(Options{Recheck: func(string) bool { return true }}); err == nil {
		t.Fatal("New without Tokens succeeded")
	}
	reg := prometheus.NewRegistry()
	o := Options{Tokens: func(string) ([]byte, bool) { return nil, false }, Recheck: func(string) bool { return true }, Registerer: reg}
	if _, err := New(o); err != nil {
		t.Fatal(err)
	}
	if _, err := New(o); err == nil {
		t.Fatal("registering the metrics twice succeeded")
	}
}
