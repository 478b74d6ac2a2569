package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Response headers of every page.
const (
	// pageMaxAge lets browsers and proxies reuse a page briefly: the
	// checker's view moves in minutes, not seconds.
	pageMaxAge = "public, max-age=10"
	// staticMaxAge caches the stylesheet; it changes only with a release.
	staticMaxAge = "public, max-age=3600"
	// csp forbids every script, inline or not; styles come from /static/.
	csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// cacheTick is how long a rendered default page is reused for the
	// same snapshot (its "x min ago" texts move with the clock).
	cacheTick = 10 * time.Second
)

// Source is what the site reads: a *status.Hub satisfies it.
type Source interface {
	Current() *status.Snapshot
}

// Options configure the site.
type Options struct {
	Status Source
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log gets render failures; slog.Default() when nil.
	Log *slog.Logger
	// Title names the mirror network in page titles; "mirrorsignal" when "".
	Title string
}

// Site serves the status pages.
type Site struct {
	o     Options
	pages *pages
	cache atomic.Pointer[rendered]
}

// rendered is the default status page for one snapshot and clock tick.
type rendered struct {
	snap *status.Snapshot
	tick int64
	body []byte
}

// New returns the site. It panics when o.Status is nil or the embedded
// templates do not parse (a build defect, caught by the tests).
func New(o Options) *Site {
	if o.Status == nil {
		panic("web: Options.Status is nil")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Title == "" {
		o.Title = "mirrorsignal"
	}
	o.Log = o.Log.With("component", "web")
	return &Site{o: o, pages: mustParse(o.Title)}
}

// Register adds the pages to mux: GET /{$}, /mirrors/{name},
// /events/{id} and /static/.
func (s *Site) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /mirrors/{name}", s.mirror)
	mux.HandleFunc("GET /events/{id}", s.event)
	mux.HandleFunc("GET /static/{file}", s.static)
}

func (s *Site) index(w http.ResponseWriter, r *http.Request) {
	snap := s.o.Status.Current()
	q, err := parseQuery(r.URL.RawQuery, treeNames(snap))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.o.Now().UTC()
	if q.isDefault() {
		s.writePage(w, s.defaultPage(snap, now))
		return
	}
	s.render(w, "index", newIndex(snap, q, now))
}

// defaultPage renders the page without parameters once per snapshot and
// cacheTick; nil when rendering failed.
func (s *Site) defaultPage(snap *status.Snapshot, now time.Time) []byte {
	tick := now.UnixNano() / int64(cacheTick)
	if c := s.cache.Load(); c != nil && c.snap == snap && c.tick == tick {
		return c.body
	}
	body, err := s.pages.execute("index", newIndex(snap, defaultQuery, now))
	if err != nil {
		s.o.Log.Error("render the status page", "err", err)
		return nil
	}
	s.cache.Store(&rendered{snap: snap, tick: tick, body: body})
	return body
}

func (s *Site) mirror(w http.ResponseWriter, r *http.Request) {
	if !s.noQuery(w, r) {
		return
	}
	snap := s.o.Status.Current()
	m, ok := snap.Mirror(r.PathValue("name"))
	if !ok {
		s.refuse(w, http.StatusNotFound, "no such mirror")
		return
	}
	s.render(w, "mirror", newMirror(snap, m, s.o.Now().UTC()))
}

func (s *Site) event(w http.ResponseWriter, r *http.Request) {
	if !s.noQuery(w, r) {
		return
	}
	snap := s.o.Status.Current()
	ev, ok := snap.Event(r.PathValue("id"))
	if !ok {
		s.refuse(w, http.StatusNotFound, "no such publish event")
		return
	}
	s.render(w, "event", newEvent(snap, ev, s.o.Now().UTC()))
}

// noQuery refuses a query on pages that take none.
func (s *Site) noQuery(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		s.refuse(w, http.StatusBadRequest, "this page takes no query parameters")
		return false
	}
	return true
}

func (s *Site) static(w http.ResponseWriter, r *http.Request) {
	body, typ, err := asset(r.PathValue("file"))
	if errors.Is(err, errNoAsset) {
		s.refuse(w, http.StatusNotFound, "no such file")
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", typ)
	h.Set("Cache-Control", staticMaxAge)
	w.Write(body)
}

func (s *Site) render(w http.ResponseWriter, name string, data any) {
	body, err := s.pages.execute(name, data)
	if err != nil {
		s.o.Log.Error("render a page", "page", name, "err", err)
		body = nil
	}
	s.writePage(w, body)
}

// writePage writes a rendered page, or a 500 when rendering failed.
func (s *Site) writePage(w http.ResponseWriter, body []byte) {
	if body == nil {
		s.refuse(w, http.StatusInternalServerError, "the page could not be rendered")
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", pageMaxAge)
	w.Write(body)
}

// refuse writes a one-line plain-text reason.
func (s *Site) refuse(w http.ResponseWriter, code int, reason string) {
	h := w.Header()
	securityHeaders(h)
	h.Set("Cache-Control", "no-store")
	http.Error(w, string(bytes.ReplaceAll([]byte(reason), []byte("\n"), []byte(" "))), code)
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func treeNames(s *status.Snapshot) []string {
	out := make([]string, 0, len(s.Trees))
	for _, t := range s.Trees {
		out = append(out, t.Name)
	}
	return out
}
