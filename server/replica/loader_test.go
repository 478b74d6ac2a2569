package replica

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func newLoader(t *testing.T, o LoaderOptions) (*Loader, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	if o.Hub == nil {
		o.Hub = status.NewHub()
	}
	l, err := NewLoader(o)
	if err != nil {
		t.Fatal(err)
	}
	return l, reg
}

func TestNewLoaderRefuses(t *testing.T) {
	hub := status.NewHub()
	for _, o := range []LoaderOptions{
		{Source: "/x"},
		{Hub: hub},
		{Hub: hub, Source: "rsync://primary/export.json"},
	} {
		if _, err := NewLoader(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// refusedBy polls l and checks the refusal's reason and message.
func refusedBy(t *testing.T, l *Loader, reason, says string) {
	t.Helper()
	err := l.poll(context.Background())
	var r *refusal
	if !errors.As(err, &r) || r.reason != reason || !strings.Contains(err.Error(), says) {
		t.Fatalf("poll: %v, want a %s refusal saying %q", err, reason, says)
	}
}

// TestLoaderRefusesBadExports: each bad export is refused and counted,
// and the snapshot loaded before stays in the hub.
func TestLoaderRefusesBadExports(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.json")
	hub := status.NewHub()
	empty := hub.Current()
	now := base.Add(time.Hour)
	l, reg := newLoader(t, LoaderOptions{Source: path, Hub: hub, Now: func() time.Time { return now }})

	refusedBy(t, l, reasonFetch, "no such file")
	writeAtomic(t, path, []byte("<html>502</html>"))
	refusedBy(t, l, reasonInvalid, "envelope")
	if l.Loaded() || hub.Current() != empty {
		t.Fatal("loaded from nothing valid")
	}

	snaps := fleet(3)
	good := mustEncode(t, snaps[2])
	writeAtomic(t, path, good)
	if err := l.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	loaded := hub.Current()
	if !l.Loaded() || !reflect.DeepEqual(loaded, snaps[2]) {
		t.Fatal("the valid export was not loaded as it was")
	}

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x04
	dup := fleetAt(3)
	dup.Mirrors[2].Name = dup.Mirrors[0].Name
	future := fleetAt(0)
	future.Generated = now.Add(MaxFuture + time.Second)
	tests := []struct {
		name, reason, says string
		b                  []byte
	}{
		{"flipped byte", reasonInvalid, "", flipped},
		{"truncated", reasonInvalid, "truncated", good[:len(good)-100]},
		{"format 2", reasonInvalid, "format 2", bytes.Replace(good, []byte(`"format":1`), []byte(`"format":2`), 1)},
		{"duplicate mirror names", reasonInvalid, "appears twice", seal(t, dup)},
		{"older", reasonOlder, "before the one served", mustEncode(t, snaps[1])},
		{"from the future", reasonFuture, "ahead of this clock", mustEncode(t, future)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeAtomic(t, path, tt.b)
			refusedBy(t, l, tt.reason, tt.says)
			if hub.Current() != loaded || !l.Loaded() {
				t.Fatal("the snapshot loaded before was replaced")
			}
			// Read again (the file is new enough to be), it is not counted twice.
			if err := l.poll(context.Background()); err != nil && !errors.Is(err, errRefusedBefore) && tt.reason != reasonFuture {
				t.Fatalf("second poll: %v", err)
			}
		})
	}
	m := gather(t, reg)
	for reason, n := range map[string]float64{reasonFetch: 1, reasonInvalid: 5, reasonOlder: 1, reasonFuture: 2} {
		if got := m[`mirrorsignal_replica_load_errors_total{reason="`+reason+`"}`]; got != n {
			t.Errorf("load errors %s = %v, want %v", reason, got, n)
		}
	}
	if m["mirrorsignal_replica_loads_total"] != 1 {
		t.Errorf("loads %v", m["mirrorsignal_replica_loads_total"])
	}

	next := mustEncode(t, snaps[3])
	writeAtomic(t, path, next)
	if err := l.poll(context.Background()); err != nil || !reflect.DeepEqual(hub.Current(), snaps[3]) {
		t.Fatalf("a valid export after refused ones: %v", err)
	}
}

// TestLoaderFileUnchanged: a file whose stat is unchanged is not read
// again once it is older than the racy window; until then it is.
func TestLoaderFileUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.json")
	now := time.Now()
	hub := status.NewHub()
	l, _ := newLoader(t, LoaderOptions{Source: path, Hub: hub, Now: func() time.Time { return now }})
	s := fleetAt(1)
	good := mustEncode(t, s)
	writeAtomic(t, path, good)
	if err := l.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.src.(*fileSource).racy {
		t.Fatal("a file read just after it was written is trusted")
	}
	now = now.Add(time.Minute) // the file's time is now well in the past
	if err := l.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.src.(*fileSource).racy {
		t.Fatal("still racy a minute later")
	}
	// Garbage of the same size written in place, its time put back: the
	// stat is unchanged, so the file is not read.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), len(good)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := l.poll(context.Background()); err != nil || hub.Current() == nil || !reflect.DeepEqual(hub.Current(), s) {
		t.Fatalf("an unchanged stat was read again: %v", err)
	}
	// A new time: read, and refused.
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	refusedBy(t, l, reasonInvalid, "envelope")
}

// counting wraps an exporter's handler and records what it answered.
type counting struct {
	h     http.Handler
	mu    sync.Mutex
	codes []int
	inm   []string // If-None-Match asked
	gzip  int      // responses sent gzipped
	fail  bool     // answer 500
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	fail := c.fail
	c.inm = append(c.inm, r.Header.Get("If-None-Match"))
	c.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, code: 200}
	if fail {
		http.Error(rec, "primary broken", http.StatusInternalServerError)
	} else {
		c.h.ServeHTTP(rec, r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codes = append(c.codes, rec.code)
	if w.Header().Get("Content-Encoding") == "gzip" {
		c.gzip++
	}
}

func (c *counting) last() (code int, inm string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.codes[len(c.codes)-1], c.inm[len(c.inm)-1]
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// primary runs an exporter of its own hub behind an httptest server.
func primary(t *testing.T) (*status.Hub, *Exporter, *counting, string) {
	t.Helper()
	hub := status.NewHub()
	e, _ := startExporter(t, ExporterOptions{Hub: hub, MinInterval: time.Millisecond})
	run(t, e.Run)
	mux := http.NewServeMux()
	e.Register(mux)
	c := &counting{h: mux}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return hub, e, c, srv.URL + ExportPath
}

// publish sets s on the primary's hub and waits until it is exported.
func publish(t *testing.T, hub *status.Hub, e *Exporter, s *status.Snapshot) {
	t.Helper()
	hub.Set(s)
	waitFor(t, "the export of "+s.Generated.String(), func() bool {
		x := e.cur.Load()
		return x != nil && x.snap == s
	})
}

// TestLoaderHTTP: conditional GETs (304 while unchanged), gzip on the
// wire, and refusals of a failing or oversized answer.
func TestLoaderHTTP(t *testing.T) {
	phub, e, c, url := primary(t)
	hub := status.NewHub()
	l, reg := newLoader(t, LoaderOptions{Source: url, Hub: hub, Timeout: 10 * time.Second})
	ctx := context.Background()

	refusedBy(t, l, reasonFetch, "HTTP 503")
	snaps := fleet(3)
	publish(t, phub, e, snaps[1])
	if err := l.poll(ctx); err != nil || !reflect.DeepEqual(hub.Current(), snaps[1]) {
		t.Fatalf("first load: %v", err)
	}
	if code, inm := c.last(); code != 200 || inm != "" {
		t.Fatalf("first GET: %d, If-None-Match %q", code, inm)
	}
	etag := e.cur.Load().etagGz
	if err := l.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if code, inm := c.last(); code != 304 || inm != etag {
		t.Fatalf("unchanged: %d, If-None-Match %q, want 304 for %s", code, inm, etag)
	}
	c.mu.Lock()
	gzipped := c.gzip
	c.mu.Unlock()
	if gzipped != 1 {
		t.Fatalf("%d responses gzipped, want the one 200", gzipped)
	}

	publish(t, phub, e, snaps[2])
	if err := l.poll(ctx); err != nil || !reflect.DeepEqual(hub.Current(), snaps[2]) {
		t.Fatalf("second load: %v", err)
	}

	c.mu.Lock()
	c.fail = true
	c.mu.Unlock()
	refusedBy(t, l, reasonFetch, "HTTP 500")
	c.mu.Lock()
	c.fail = false
	c.mu.Unlock()

	publish(t, phub, e, snaps[3])
	l.src.(*httpSource).max = 1000
	refusedBy(t, l, reasonFetch, "larger than 1000 bytes")
	l.src.(*httpSource).max = status.MaxExportSize
	if err := l.poll(ctx); err != nil || !reflect.DeepEqual(hub.Current(), snaps[3]) {
		t.Fatalf("third load: %v", err)
	}
	if m := gather(t, reg); m["mirrorsignal_replica_loads_total"] != 3 || m[`mirrorsignal_replica_load_errors_total{reason="fetch"}`] != 3 {
		t.Fatalf("metrics %v", m)
	}
}

// TestLoaderHTTPRefetchesRefused: a refused download is fetched again
// in full (its fault may have been the transfer's), not asked about with
// its ETag.
func TestLoaderHTTPRefetchesRefused(t *testing.T) {
	s := fleetAt(1)
	good := mustEncode(t, s)
	var mu sync.Mutex
	body, inm := good[:len(good)/2], ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		inm = r.Header.Get("If-None-Match")
		w.Header().Set("ETag", `"same"`)
		w.Write(body)
	}))
	defer srv.Close()
	l, _ := newLoader(t, LoaderOptions{Source: srv.URL})
	refusedBy(t, l, reasonInvalid, "truncated")
	mu.Lock()
	body = good
	mu.Unlock()
	if err := l.poll(context.Background()); err != nil || !l.Loaded() {
		t.Fatalf("poll after a truncated download: %v", err)
	}
	if inm != "" {
		t.Fatalf("asked If-None-Match %q after a refused download", inm)
	}
}

func TestLoaderAgeMetric(t *testing.T) {
	promtool := testtool.Require(t, "promtool")[0]
	path := filepath.Join(t.TempDir(), "export.json")
	now := base.Add(90 * time.Second)
	l, reg := newLoader(t, LoaderOptions{Source: path, Now: func() time.Time { return now }})
	m := gather(t, reg)
	if !math.IsInf(m["mirrorsignal_replica_snapshot_age_seconds"], 1) || m["mirrorsignal_replica_loaded"] != 0 {
		t.Fatalf("before a load: %v", m)
	}
	writeAtomic(t, path, mustEncode(t, fleetAt(0)))
	if err := l.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	m = gather(t, reg)
	if m["mirrorsignal_replica_snapshot_age_seconds"] != 90 || m["mirrorsignal_replica_loaded"] != 1 {
		t.Fatalf("after a load: %v", m)
	}
	now = now.Add(time.Hour)
	if got := gather(t, reg)["mirrorsignal_replica_snapshot_age_seconds"]; got != 3690 {
		t.Fatalf("an hour later the age is %v", got)
	}

	// promtool accepts the exposition of both ends.
	if _, err := NewExporter(ExporterOptions{Hub: status.NewHub(), Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = rec.Body
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestLoaderRunStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.json")
	writeAtomic(t, path, mustEncode(t, fleetAt(1)))
	l, _ := newLoader(t, LoaderOptions{Source: path, Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, "the first load, at once", l.Loaded)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
