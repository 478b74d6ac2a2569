package checkin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestSignKnownAnswer(t *testing.T) {
	// python3 -c 'import hmac,hashlib;print(hmac.new(b"secret",b"1800000000\n{}",hashlib.sha256).hexdigest())'
	const want = "bbc27a9cb3c85562d0598e44392c00fee8c079e194704f06daab84394f6aa43b"
	if got := Sign([]byte("secret"), "1800000000", []byte("{}")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	token, body := []byte("secret"), []byte(`{"mirror":"m"}`)
	ts := "1800000000"
	sig := Sign(token, ts, body)
	tests := []struct {
		name        string
		token, body []byte
		ts, sig     string
		wantOK      bool
	}{
		{"valid", token, body, ts, sig, true},
		{"other token", []byte("guess"), body, ts, sig, false},
		{"other body", token, []byte(`{"mirror":"n"}`), ts, sig, false},
		{"old timestamp", token, body, "1799999000", Sign(token, "1799999000", body), false},
		{"non-canonical timestamp", token, body, "01800000000", Sign(token, "01800000000", body), false},
		{"not hex", token, body, ts, "zz", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.token, tc.ts, tc.body, tc.sig, now, MaxSkew)
			if (err == nil) != tc.wantOK {
				t.Fatalf("Verify = %v", err)
			}
		})
	}
}

func TestClientSendsVerifiableReport(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	token := []byte("secret")
	var got Report
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := Verify(token, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature), now, MaxSkew)
		if err != nil || r.Header.Get(HeaderMirror) != "m1" || r.Method != http.MethodPost {
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		_ = json.Unmarshal(body, &got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, Token: token, HTTP: srv.Client(), Now: func() time.Time { return now }}
	if err := c.Send(context.Background(), "m1", map[string]int64{"content": 1_799_000_000}); err != nil {
		t.Fatal(err)
	}
	if got.Mirror != "m1" || got.Trees["content"] != 1_799_000_000 || strconv.FormatInt(got.Time, 10) != "1800000000" {
		t.Fatalf("report %+v", got)
	}
	c.Token = []byte("wrong")
	if err := c.Send(context.Background(), "m1", nil); err == nil {
		t.Fatal("a refused check-in reported success")
	}
}
