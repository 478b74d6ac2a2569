package checkin

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// FuzzCheckin sends arbitrary headers and bodies. With resign set the
// signature is replaced by the right one for the mirror's token, so the
// fuzzer also reaches the body checks. It must never panic or answer 5xx,
// and Recheck may only follow a valid signature inside the window.
func FuzzCheckin(f *testing.F) {
	ts := strconv.FormatInt(t0.Unix(), 10)
	ok := valid("m1.example.net", t0)
	f.Add(ok.mirror, ok.ts, ok.sig, ok.body, false)
	f.Add("m1.example.net", ts, "", body("m1.example.net", t0.Unix()), true)
	f.Add("m1.example.net", ts, "", []byte(`{"mirror":"m1.example.net","time":1800000000}}`), true)
	f.Add("m2.example.net", ts, "", body("m1.example.net", t0.Unix()), true)
	f.Add("nope", "1799999640", "00", []byte(`{}`), false)
	f.Add("m1.example.net", "-1", "", []byte(`null`), true)
	f.Fuzz(func(t *testing.T, mirror, timestamp, sig string, b []byte, resign bool) {
		fx := newFixture(t)
		if tok, known := tokens[mirror]; resign && known {
			m := mac(tok, timestamp, b)
			sig = hex.EncodeToString(m[:])
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/checkin", bytes.NewReader(b))
		req.Header[HeaderMirror] = []string{mirror}
		req.Header[HeaderTimestamp] = []string{timestamp}
		req.Header[HeaderSignature] = []string{sig}
		rec := httptest.NewRecorder()
		fx.mux.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code >= 500 || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		got := fx.rechecked()
		if len(got) == 0 {
			if rec.Code < 400 {
				t.Fatalf("status %d without a re-check", rec.Code)
			}
			return
		}
		tok, known := tokens[mirror]
		s, sigOK := parseSignature(sig)
		n, tsOK := parseTimestamp(timestamp)
		if len(got) != 1 || got[0] != mirror || !known || !sigOK || !tsOK || !inWindow(n, t0) || !verify(tok, timestamp, b, s) {
			t.Fatalf("Recheck %q for an invalid check-in (status %d)", got, rec.Code)
		}
		if rec.Code != http.StatusAccepted {
			t.Fatalf("re-checked but answered %d", rec.Code)
		}
	})
}
