package advice

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice/advicekey"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

func TestBadRequests(t *testing.T) {
	h := testHandler(t, Options{})
	tests := []struct {
		name, query string
		status      int
		reason      string
	}{
		{"no parameters", "", 400, "missing mirror="},
		{"no tree", "mirror=req.example.net", 400, "missing tree="},
		{"empty tree", "mirror=req.example.net&tree=", 400, "missing tree="},
		{"no mirror", "tree=content", 400, "missing mirror="},
		{"extra parameter", "mirror=req.example.net&tree=content&x=1", 400, `unknown parameter "x"`},
		{"duplicate mirror", "mirror=req.example.net&mirror=de.example.net&tree=content", 400, `"mirror" given 2 times`},
		{"duplicate tree", "mirror=req.example.net&tree=content&tree=content", 400, `"tree" given 2 times`},
		{"bad escape", "mirror=%zz&tree=content", 400, "bad query"},
		{"semicolon", "mirror=req.example.net;tree=content", 400, "bad query"},
		{"too long", "mirror=" + strings.Repeat("a", 600) + "&tree=content", 400, "longer than"},
		{"unknown mirror", "mirror=nobody.example.net&tree=content", 404, `unknown mirror "nobody.example.net"`},
		{"unknown tree", "mirror=req.example.net&tree=altarch", 404, `unknown tree "altarch"`},
		{"tree not carried", "mirror=req.example.net&tree=vault", 404, "does not carry"},
		{"markup echoed safely", "mirror=%3Cb%3E&tree=content", 404, `unknown mirror "<b>"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := fetch(t, h, tc.query)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.reason) {
				t.Fatalf("got %d %q, want %d with %q", rec.Code, rec.Body, tc.status, tc.reason)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q", ct)
			}
			if strings.Count(strings.TrimSuffix(rec.Body.String(), "\n"), "\n") != 0 {
				t.Errorf("reason is not one line: %q", rec.Body)
			}
		})
	}
}

func TestMethod(t *testing.T) {
	h := testHandler(t, Options{})
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, Path+"?mirror=req.example.net&tree=content", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func TestUnavailable(t *testing.T) {
	f := testFleet(t)
	noSignal := testView(f, testProbes)
	noSignal.Signal = map[string]int64{"vault": testSignal}
	tests := []struct {
		name  string
		fleet *mirrors.Fleet
		view  *checker.View
	}{
		{"no fleet", nil, testView(f, testProbes)},
		{"no view", f, nil},
		{"no signal for the tree", f, noSignal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := testHandler(t, Options{Fleet: func() *mirrors.Fleet { return tc.fleet },
				View: func() *checker.View { return tc.view }})
			if rec := fetch(t, h, "mirror=req.example.net&tree=content"); rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("got %d %q, want 503", rec.Code, rec.Body)
			}
		})
	}
}

func TestKeyCreatedAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), advicekey.FileName)
	h1 := testHandler(t, Options{KeyPath: path})
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	h2 := testHandler(t, Options{KeyPath: path})
	if !bytes.Equal(h1.PublicKey(), h2.PublicKey()) {
		t.Fatal("a restart made a new key")
	}
}

func TestKeyReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), advicekey.FileName)
	testHandler(t, Options{KeyPath: path})
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f := testFleet(t)
	_, err := New(Options{KeyPath: path, Fleet: func() *mirrors.Fleet { return f },
		View: func() *checker.View { return nil }})
	if !errors.Is(err, advicekey.ErrKeyFile) {
		t.Fatalf("New with a 0644 key = %v, want ErrKeyFile", err)
	}
}

func TestOptions(t *testing.T) {
	f := func() *mirrors.Fleet { return nil }
	v := func() *checker.View { return nil }
	bad := []Options{
		{Fleet: f, View: v},
		{KeyPath: "k", View: v},
		{KeyPath: "k", Fleet: f},
		{KeyPath: "k", Fleet: f, View: v, MaxSources: MaxSourcesLimit + 1},
		{KeyPath: "k", Fleet: f, View: v, FanOut: -1},
		{KeyPath: "k", Fleet: f, View: v, Validity: MaxValidity + 1e9},
		{KeyPath: "k", Fleet: f, View: v, Validity: 1500e6},
	}
	for i, o := range bad {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("options %d accepted", i)
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := testHandler(t, Options{Registerer: reg, FanOut: 1})
	fetch(t, h, "mirror=req.example.net&tree=content")
	fetch(t, h, "mirror=de.example.net&tree=content")
	fetch(t, h, "mirror=nobody.example.net&tree=content")
	if got := value(h.m.requests.WithLabelValues("200")); got != 2 {
		t.Errorf("200s: %v", got)
	}
	if got := value(h.m.requests.WithLabelValues("404")); got != 1 {
		t.Errorf("404s: %v", got)
	}
	// req takes 5 of its 7 sources; de has 7 too (req instead of itself),
	// finds the 4 others req took at their cap of 1 and gets req and the
	// two tier-1 hosts.
	if got := value(h.m.handed); got != 8 {
		t.Errorf("handed: %v", got)
	}
	if got := value(h.m.capped); got != 4 {
		t.Errorf("capped: %v", got)
	}
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
