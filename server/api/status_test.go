package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fleetNow is the fixture's fixed time.
var fleetNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fleetHub holds a 14-mirror fleet: fresh, behind, unreachable and error
// mirrors, two publish events.
func fleetHub(o statustest.Options) *status.Hub {
	if o.Mirrors == 0 {
		o.Mirrors = 14
	}
	o.Now = fleetNow
	h := status.NewHub()
	h.Set(stable(statustest.Fleet(o)))
	return h
}

// stable makes the fixture's probes independent of map order: Fleet draws
// their latencies while ranging over a map, so their order and values
// change from run to run. It sorts them by protocol and gives each a
// latency from its mirror's index and protocol.
func stable(s *status.Snapshot) *status.Snapshot {
	for i := range s.Mirrors {
		for j := range s.Mirrors[i].Trees {
			mt := &s.Mirrors[i].Trees[j]
			for _, ps := range [][]status.Probe{mt.Probes, mt.Recent} {
				slices.SortFunc(ps, func(a, b status.Probe) int { return strings.Compare(a.Proto+a.Family, b.Proto+b.Family) })
				for k := range ps {
					ps[k].LatencySeconds = 0.05 + float64(i%7)/100 + float64(len(ps[k].Proto))/1000
				}
			}
		}
	}
	return s
}

func publicMux(h Source) http.Handler {
	return httpserve.Mux(NewStatus(h), NewArchweb(h, ArchwebOptions{Tree: "content", ISOTree: "vault"}))
}

func get(h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s", name, firstLines(got, 40))
	}
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestGolden: the field names and shapes of every status route, from the
// fixture at a fixed time.
func TestGolden(t *testing.T) {
	h := publicMux(fleetHub(statustest.Options{}))
	for _, tt := range []struct{ path, file string }{
		{"/api/v1/mirrors", "mirrors.golden.json"},
		{"/api/v1/mirrors?tree=altarch&state=behind", "mirrors-filtered.golden.json"},
		{"/api/v1/mirrors/mirror04.ca.example.net", "mirror.golden.json"},
		{"/api/v1/events", "events.golden.json"},
		{"/api/v1/events/" + status.EventID("content", fleetNow.Add(-20*time.Minute).Unix()), "event.golden.json"},
		{"/mirrors/status/json/", "archweb.golden.json"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			rec := get(h, tt.path)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("GET %s = %d %q: %s", tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			}
			golden(t, tt.file, rec.Body.Bytes())
		})
	}
}

// TestMirrorsFilters: each filter keeps what it says, and the tree filter
// keeps only that tree's state.
func TestMirrorsFilters(t *testing.T) {
	hub := fleetHub(statustest.Options{Mirrors: 50})
	h := publicMux(hub)
	snap := hub.Current()
	decode := func(path string) apiv1.Mirrors {
		t.Helper()
		rec := get(h, path)
		var m apiv1.Mirrors
		if rec.Code != 200 {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body.String())
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	all := decode("/api/v1/mirrors")
	if len(all.Mirrors) != 50 || len(all.Trees) != 3 {
		t.Fatalf("%d mirrors, %d trees; want 50, 3", len(all.Mirrors), len(all.Trees))
	}
	de := decode("/api/v1/mirrors?country=de")
	if len(de.Mirrors) != 5 {
		t.Errorf("country=de: %d mirrors, want 5", len(de.Mirrors))
	}
	for _, m := range de.Mirrors {
		if m.Country != "DE" {
			t.Errorf("country=de returned %s in %s", m.Name, m.Country)
		}
	}
	behind := decode("/api/v1/mirrors?tree=content&state=behind")
	want := 0
	for _, m := range snap.Mirrors {
		if mt, ok := m.Tree("content"); ok && mt.State == status.Behind {
			want++
		}
	}
	if want == 0 || len(behind.Mirrors) != want {
		t.Errorf("tree=content&state=behind: %d mirrors, want %d", len(behind.Mirrors), want)
	}
	for _, m := range behind.Mirrors {
		if len(m.Trees) != 1 || m.Trees[0].Tree != "content" || m.Trees[0].State != "behind" {
			t.Errorf("%s: trees %+v, want only content, behind", m.Name, m.Trees)
		}
	}
	if len(behind.Trees) != 1 || behind.Trees[0].Name != "content" || behind.Trees[0].Counts["behind"] != want {
		t.Errorf("trees %+v, want content with %d behind", behind.Trees, want)
	}
	alt := decode("/api/v1/mirrors?tree=altarch")
	carrying := alt.Trees[0].Carrying
	if len(alt.Mirrors) != carrying || carrying >= 50 {
		t.Errorf("tree=altarch: %d mirrors, tree says %d carry it (of 50)", len(alt.Mirrors), carrying)
	}
}

// TestBadRequests: bad or unknown parameters get 400 with a one-line JSON
// reason, unknown names 404, oversized queries and bodies are refused.
func TestBadRequests(t *testing.T) {
	h := publicMux(fleetHub(statustest.Options{Hostile: true}))
	for _, tt := range []struct {
		path   string
		code   int
		reason string
	}{
		{"/api/v1/mirrors?tree=isos", 400, `unknown tree \"isos\"`},
		{"/api/v1/mirrors?tree=", 400, "unknown tree"},
		{"/api/v1/mirrors?state=stale", 400, `unknown state \"stale\"`},
		{"/api/v1/mirrors?country=Germany", 400, "not an ISO 3166-1"},
		{"/api/v1/mirrors?country=d1", 400, "not an ISO 3166-1"},
		{"/api/v1/mirrors?sort=name", 400, `unknown parameter \"sort\"`},
		{"/api/v1/mirrors?tree=content&tree=vault", 400, "more than once"},
		{"/api/v1/mirrors?tree=%zz", 400, "malformed query"},
		{"/api/v1/mirrors?tree=" + url.QueryEscape("<script>"), 400, `\u003cscript\u003e`},
		{"/api/v1/mirrors?" + strings.Repeat("a", 600), 414, "longer than"},
		{"/api/v1/mirrors/nope.example.net", 404, `no mirror \"nope.example.net\"`},
		{"/api/v1/mirrors/" + url.PathEscape("<b>x</b>"), 404, `\u003cb\u003ex\u003c/b\u003e`},
		{"/api/v1/mirrors/mirror04.ca.example.net?full=1", 400, "takes no parameters"},
		{"/api/v1/events/content-1", 404, `no publish event \"content-1\"`},
		{"/api/v1/events?limit=1", 400, "unknown parameter"},
		{"/mirrors/status/json/?tier=1", 400, "unknown parameter"},
		{"/mirrors/status/tier/0/json/", 404, "no tier"},
		{"/mirrors/status/tier/x/json/", 404, "no tier"},
	} {
		rec := get(h, tt.path)
		body := rec.Body.String()
		if rec.Code != tt.code || !strings.Contains(body, tt.reason) {
			t.Errorf("GET %s = %d %q; want %d with %q", tt.path, rec.Code, body, tt.code, tt.reason)
			continue
		}
		var e apiv1.Error
		if strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Errorf("GET %s: body %q is not one line of JSON {\"error\":…}", tt.path, body)
		}
		if strings.ContainsAny(body, "<>") {
			t.Errorf("GET %s echoes markup: %q", tt.path, body)
		}
	}
	for _, b := range []struct {
		name string
		req  *http.Request
	}{
		{"sized", httptest.NewRequest("GET", "/api/v1/mirrors", strings.NewReader(strings.Repeat("x", 1<<20)))},
		{"chunked", func() *http.Request {
			r := httptest.NewRequest("GET", "/api/v1/events", strings.NewReader("x"))
			r.ContentLength = -1
			return r
		}()},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, b.req)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "no request body") {
			t.Errorf("%s body: %d %q, want 413", b.name, rec.Code, rec.Body.String())
		}
	}
}

// TestHostileNames: a mirror whose name holds markup and a slash is found
// by its escaped path, and its JSON escapes the markup.
func TestHostileNames(t *testing.T) {
	hub := fleetHub(statustest.Options{Hostile: true})
	h := publicMux(hub)
	for _, name := range statustest.Hostile {
		rec := get(h, "/api/v1/mirrors/"+url.PathEscape(name))
		if rec.Code != 200 {
			t.Fatalf("GET hostile mirror %q = %d %s", name, rec.Code, rec.Body.String())
		}
		var m apiv1.Mirror
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m.Name != name {
			t.Fatalf("name %q round-tripped as %q (%v)", name, m.Name, err)
		}
	}
	for _, path := range []string{"/api/v1/mirrors", "/mirrors/status/json/"} {
		if body := get(h, path).Body.String(); strings.ContainsAny(body, "<>") {
			t.Errorf("%s holds raw markup", path)
		}
	}
}

// TestConditional: ETag and Last-Modified validators, 304 on a match, a
// new ETag once the snapshot changes, and the cache headers.
func TestConditional(t *testing.T) {
	hub := fleetHub(statustest.Options{})
	h := publicMux(hub)
	for _, path := range []string{"/api/v1/mirrors", "/api/v1/mirrors?tree=vault", "/api/v1/mirrors/mirror04.ca.example.net",
		"/api/v1/events", "/api/v1/events/" + hub.Current().Events[0].ID, "/mirrors/status/json/"} {
		t.Run(path, func(t *testing.T) {
			first := get(h, path)
			etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
			if first.Code != 200 || len(etag) < 10 || etag[0] != '"' || strings.HasPrefix(etag, "W/") {
				t.Fatalf("first GET %d, ETag %q: want 200 with a strong ETag", first.Code, etag)
			}
			if lm != "Mon, 30 Nov 2026 12:00:00 GMT" || first.Header().Get("Cache-Control") != "public, max-age=10" {
				t.Fatalf("Last-Modified %q, Cache-Control %q", lm, first.Header().Get("Cache-Control"))
			}
			for _, tt := range []struct {
				header []string
				code   int
			}{
				{[]string{"If-None-Match", etag}, 304},
				{[]string{"If-None-Match", `"other", ` + etag}, 304},
				{[]string{"If-None-Match", "W/" + etag}, 304},
				{[]string{"If-None-Match", "*"}, 304},
				{[]string{"If-None-Match", `"other"`}, 200},
				{[]string{"If-Modified-Since", lm}, 304},
				{[]string{"If-Modified-Since", "Mon, 30 Nov 2026 12:00:01 GMT"}, 304},
				{[]string{"If-Modified-Since", "Mon, 30 Nov 2026 11:59:59 GMT"}, 200},
				{[]string{"If-Modified-Since", "yesterday"}, 200},
				// If-None-Match wins over If-Modified-Since.
				{[]string{"If-None-Match", `"other"`, "If-Modified-Since", lm}, 200},
			} {
				rec := get(h, path, tt.header...)
				if rec.Code != tt.code {
					t.Errorf("%q: %d, want %d", tt.header, rec.Code, tt.code)
				}
				if rec.Code == 304 && (rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag) {
					t.Errorf("%q: 304 with body %q, ETag %q", tt.header, rec.Body.String(), rec.Header().Get("ETag"))
				}
				if rec.Code == 200 && !bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()) {
					t.Errorf("%q: a different body for the same snapshot", tt.header)
				}
			}
		})
	}
	before := get(h, "/api/v1/mirrors").Header().Get("ETag")
	next := statustest.Fleet(statustest.Options{Mirrors: 14, Now: fleetNow.Add(time.Minute), Seed: 7})
	hub.Set(stable(next))
	rec := get(h, "/api/v1/mirrors", "If-None-Match", before)
	if rec.Code != 200 || rec.Header().Get("ETag") == before || rec.Header().Get("Last-Modified") != "Mon, 30 Nov 2026 12:01:00 GMT" {
		t.Fatalf("after a new snapshot: %d, ETag %q (was %q), Last-Modified %q", rec.Code, rec.Header().Get("ETag"), before, rec.Header().Get("Last-Modified"))
	}
}

// TestHead: HEAD answers the headers without a body.
func TestHead(t *testing.T) {
	h := publicMux(fleetHub(statustest.Options{}))
	req := httptest.NewRequest("HEAD", "/api/v1/events", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("ETag") == "" {
		t.Fatalf("HEAD = %d, body %d bytes, ETag %q", rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
	}
}

// TestCacheBuildsOncePerSnapshot: a body is built once per snapshot and
// key, again after the snapshot changes.
func TestCacheBuildsOncePerSnapshot(t *testing.T) {
	var c bodyCache
	builds := 0
	build := func() any { builds++; return builds }
	s1, s2 := &status.Snapshot{}, &status.Snapshot{}
	for range 3 {
		if _, err := c.get(s1, "k", build); err != nil {
			t.Fatal(err)
		}
	}
	c.get(s1, "other", build)
	c.get(s2, "k", build)
	if builds != 3 {
		t.Fatalf("%d builds, want 3 (k and other on s1, k on s2)", builds)
	}
	if b, _ := c.get(s2, "k", build); string(b.data) != "3\n" {
		t.Fatalf("cached body %q, want the third build", b.data)
	}
}

// TestEmptySnapshot: before anything is known the routes answer with
// empty lists, not errors.
func TestEmptySnapshot(t *testing.T) {
	h := publicMux(status.NewHub())
	for _, path := range []string{"/api/v1/mirrors", "/api/v1/events", "/mirrors/status/json/"} {
		rec := get(h, path)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "null") {
			t.Errorf("GET %s on an empty snapshot = %d %s", path, rec.Code, rec.Body.String())
		}
	}
}

func FuzzMirrorsQuery(f *testing.F) {
	for _, q := range []string{"", "tree=content", "state=behind&country=de", "tree=%zz", "a=1&a=2", "country=" + strings.Repeat("x", 600)} {
		f.Add(q)
	}
	h := publicMux(fleetHub(statustest.Options{Hostile: true}))
	f.Fuzz(func(t *testing.T, q string) {
		req := &http.Request{Method: "GET", URL: &url.URL{Path: "/api/v1/mirrors", RawQuery: q}, Header: http.Header{}, Body: http.NoBody}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var m apiv1.Mirrors
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("query %q: 200 with bad JSON: %v", q, err)
			}
		case 400, 414:
			if strings.Count(rec.Body.String(), "\n") != 1 || strings.ContainsAny(rec.Body.String(), "<>") {
				t.Fatalf("query %q: reason %q", q, rec.Body.String())
			}
		default:
			t.Fatalf("query %q: status %d", q, rec.Code)
		}
	})
}
