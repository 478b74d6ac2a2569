package replica

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// startExporter runs an exporter of hub until the test ends.
func startExporter(t *testing.T, o ExporterOptions) (*Exporter, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	e, err := NewExporter(o)
	if err != nil {
		t.Fatal(err)
	}
	return e, reg
}

func run(t *testing.T, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// get asks srv for the export with the given request headers, without
// the client's transparent gzip.
func get(t *testing.T, srv *httptest.Server, method string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+ExportPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExporterServesWithETags(t *testing.T) {
	hub := status.NewHub()
	file := filepath.Join(t.TempDir(), "status-export.json")
	e, reg := startExporter(t, ExporterOptions{Hub: hub, File: file, MinInterval: time.Millisecond})
	mux := http.NewServeMux()
	e.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	if resp, body := get(t, srv, "GET"); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "not built its zone") {
		t.Fatalf("before any snapshot: %s %q", resp.Status, body)
	}
	run(t, e.Run)
	s1 := fleetAt(1)
	want := mustEncode(t, s1)
	hub.Set(s1)
	waitFor(t, "the file of the first snapshot", func() bool { return fileIs(file, want) })

	resp, body := get(t, srv, "GET")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("GET: %s, encoding %q, %d bytes", resp.Status, resp.Header.Get("Content-Encoding"), len(body))
	}
	if len(etag) != 66 || etag[0] != '"' || resp.Header.Get("Vary") != "Accept-Encoding" ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers: %v", resp.Header)
	}
	resp, body = get(t, srv, "GET", "Accept-Encoding", "gzip")
	gzETag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, body), want) {
		t.Fatalf("GET gzip: %s, encoding %q", resp.Status, resp.Header.Get("Content-Encoding"))
	}
	if gzETag == "" || gzETag == etag || len(body) >= len(want) {
		t.Fatalf("gzip ETag %s beside %s, %d bytes for %d", gzETag, etag, len(body), len(want))
	}

	tests := []struct {
		name   string
		header []string
		code   int
		gzip   bool
	}{
		{"its own ETag", []string{"If-None-Match", etag}, 304, false},
		{"in a list, weakly", []string{"If-None-Match", `"x", W/` + etag}, 304, false},
		{"star", []string{"If-None-Match", "*"}, 304, false},
		{"another ETag", []string{"If-None-Match", `"0000"`}, 200, false},
		{"gzip with its ETag", []string{"Accept-Encoding", "gzip", "If-None-Match", gzETag}, 304, true},
		{"gzip with the identity ETag", []string{"Accept-Encoding", "gzip", "If-None-Match", etag}, 200, true},
		{"identity with the gzip ETag", []string{"If-None-Match", gzETag}, 200, false},
		{"gzip refused by q=0", []string{"Accept-Encoding", "gzip;q=0, deflate"}, 200, false},
		{"gzip among others", []string{"Accept-Encoding", "br, GZIP ; q=0.5"}, 200, true},
		{"deflate only", []string{"Accept-Encoding", "deflate"}, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, "GET", tt.header...)
			if resp.StatusCode != tt.code {
				t.Fatalf("status %s, want %d", resp.Status, tt.code)
			}
			wantTag := etag
			if tt.gzip {
				wantTag = gzETag
			}
			if resp.Header.Get("ETag") != wantTag {
				t.Errorf("ETag %s, want %s", resp.Header.Get("ETag"), wantTag)
			}
			switch {
			case tt.code == 304 && len(body) != 0:
				t.Errorf("304 with %d bytes", len(body))
			case tt.code == 200 && tt.gzip && !bytes.Equal(gunzip(t, body), want):
				t.Error("gzip body differs")
			case tt.code == 200 && !tt.gzip && !bytes.Equal(body, want):
				t.Error("body differs")
			}
		})
	}

	resp, body = get(t, srv, "HEAD")
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(want)) {
		t.Fatalf("HEAD: %s, %d bytes, length %d", resp.Status, len(body), resp.ContentLength)
	}

	s2 := fleetAt(2)
	want2 := mustEncode(t, s2)
	hub.Set(s2)
	waitFor(t, "the second export", func() bool { return fileIs(file, want2) })
	waitFor(t, "the write counted", func() bool { return gather(t, reg)["mirrorsignal_status_export_writes_total"] == 2 })
	resp, body = get(t, srv, "GET", "If-None-Match", etag)
	if resp.StatusCode != 200 || !bytes.Equal(body, want2) || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a new snapshot, the old ETag gave %s, ETag %s", resp.Status, resp.Header.Get("ETag"))
	}
	m := gather(t, reg)
	if m["mirrorsignal_status_exports_total"] != 2 || m["mirrorsignal_status_export_writes_total"] != 2 ||
		m["mirrorsignal_status_export_bytes"] != float64(len(want2)) {
		t.Fatalf("metrics %v", m)
	}
}

// fakeAfter replaces e's waits: each is announced on the first channel
// and ends when the test sends on the second.
func fakeAfter(e *Exporter) (waits chan time.Duration, fire chan time.Time) {
	waits, fire = make(chan time.Duration, 100), make(chan time.Time)
	e.after = func(d time.Duration) <-chan time.Time {
		waits <- d
		return fire
	}
	return waits, fire
}

func nextWait(t *testing.T, waits chan time.Duration) time.Duration {
	t.Helper()
	select {
	case d := <-waits:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("the exporter never waited")
		return 0
	}
}

// TestExporterDebounces: after an export, changes wait for MinInterval
// (while the hub's Set returns at once), and then only the newest one is
// exported.
func TestExporterDebounces(t *testing.T) {
	hub := status.NewHub()
	file := filepath.Join(t.TempDir(), "export.json")
	e, reg := startExporter(t, ExporterOptions{Hub: hub, File: file, MinInterval: time.Hour})
	waits, fire := fakeAfter(e)
	run(t, e.Run)

	snaps := fleet(20)
	first := mustEncode(t, snaps[1])
	hub.Set(snaps[1])
	waitFor(t, "the first export, at once", func() bool { return fileIs(file, first) })
	for i := 2; i <= 20; i++ {
		hub.Set(snaps[i])
	}
	if d := nextWait(t, waits); d <= 0 || d > time.Hour {
		t.Fatalf("waits %s, want up to MinInterval", d)
	}
	// Run is blocked in the wait: nothing newer is out.
	if !fileIs(file, first) || e.cur.Load().snap != snaps[1] {
		t.Fatal("exported before MinInterval passed")
	}
	if m := gather(t, reg); m["mirrorsignal_status_exports_total"] != 1 || m["mirrorsignal_status_export_writes_total"] != 1 {
		t.Fatalf("metrics during the wait: %v", m)
	}
	fire <- time.Now()
	last := mustEncode(t, snaps[20])
	waitFor(t, "the newest export", func() bool { return fileIs(file, last) })
	waitFor(t, "the write counted", func() bool { return gather(t, reg)["mirrorsignal_status_export_writes_total"] == 2 })
	if m := gather(t, reg); m["mirrorsignal_status_exports_total"] != 2 {
		t.Fatalf("19 changes in one interval gave %v exports, want 1 more", m)
	}
}

// TestExporterRetriesFailedWrite: a file that cannot be written is
// counted, retried after MinInterval without a new snapshot, and HTTP
// serves the export meanwhile.
func TestExporterRetriesFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	file := filepath.Join(dir, "export.json")
	hub := status.NewHub()
	e, reg := startExporter(t, ExporterOptions{Hub: hub, File: file, MinInterval: time.Minute})
	waits, fire := fakeAfter(e)
	run(t, e.Run)
	s1 := fleetAt(1)
	hub.Set(s1)
	waitFor(t, "a counted write error", func() bool {
		return gather(t, reg)[`mirrorsignal_status_export_errors_total{stage="write"}`] == 1
	})
	if e.cur.Load() == nil {
		t.Fatal("nothing to serve over HTTP after a failed write")
	}
	nextWait(t, waits)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fire <- time.Now()
	want := mustEncode(t, s1)
	waitFor(t, "the retried write", func() bool { return fileIs(file, want) })
	waitFor(t, "the write counted", func() bool { return gather(t, reg)["mirrorsignal_status_export_writes_total"] == 1 })
	if m := gather(t, reg); m["mirrorsignal_status_exports_total"] != 1 || m["mirrorsignal_status_export_writes_total"] != 1 {
		t.Fatalf("metrics %v", m)
	}
}

// TestExporterRefusesInvalid: a snapshot replicas would refuse is not
// exported; the previous export stays.
func TestExporterRefusesInvalid(t *testing.T) {
	hub := status.NewHub()
	file := filepath.Join(t.TempDir(), "export.json")
	e, reg := startExporter(t, ExporterOptions{Hub: hub, File: file, MinInterval: time.Millisecond})
	run(t, e.Run)
	s1 := fleetAt(1)
	good := mustEncode(t, s1)
	hub.Set(s1)
	waitFor(t, "the first export", func() bool { return fileIs(file, good) })
	bad := fleetAt(2)
	bad.Mirrors[1].Name = bad.Mirrors[0].Name
	hub.Set(bad)
	waitFor(t, "a counted encode error", func() bool {
		return gather(t, reg)[`mirrorsignal_status_export_errors_total{stage="encode"}`] == 1
	})
	if !fileIs(file, good) || e.cur.Load().digest != encodeDigest(t, good) {
		t.Fatal("the previous export was replaced")
	}
}

func encodeDigest(t *testing.T, b []byte) string {
	t.Helper()
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "br, gzip;q=0.5", "x-gzip", "gzip;q=abc", "GZIP ; Q = 1", "*;q=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := acceptsGzip([]string{h})
		if got && !strings.Contains(strings.ToLower(h), "gzip") {
			t.Fatalf("%q accepted as gzip", h)
		}
		if h == "gzip" && !got {
			t.Fatal("plain gzip refused")
		}
	})
}
