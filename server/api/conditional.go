package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Source is where the status routes read the read model; a *status.Hub
// satisfies it. Current is never nil.
type Source interface {
	Current() *status.Snapshot
}

// Limits and caching of the read-only JSON routes.
const (
	// maxQuery caps a GET's raw query string; the header limit of the
	// server is far larger.
	maxQuery = 512
	// cacheControl lets a CDN or browser keep an answer briefly: the
	// snapshot changes every few seconds at most, and ETag revalidation
	// is cheap.
	cacheControl = "public, max-age=10"
	// maxCached bounds the bodies cached per snapshot (one per route and
	// filter combination); past it bodies are built per request.
	maxCached = 256
)

// body is an encoded answer with its validators.
type body struct {
	data     []byte
	etag     string    // strong: a hash of data
	modified time.Time // the snapshot's Generated time
}

func newBody(v any, modified time.Time) (*body, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &body{data: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, modified: modified.UTC().Truncate(time.Second)}, nil
}

// bodyCache keeps the encoded bodies of one snapshot, by key (route and
// canonical filters); a new snapshot empties it.
type bodyCache struct {
	mu      sync.Mutex
	snap    *status.Snapshot
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	b    *body
	err  error
}

// get returns the body of key for snap, building it once per snapshot.
func (c *bodyCache) get(snap *status.Snapshot, key string, build func() any) (*body, error) {
	c.mu.Lock()
	if c.snap != snap {
		c.snap, c.entries = snap, map[string]*cacheEntry{}
	}
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{}
		if len(c.entries) < maxCached {
			c.entries[key] = e
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.b, e.err = newBody(build(), snap.Generated) })
	return e.b, e.err
}

// serveBody answers with b, or 304 Not Modified when the client's copy is
// current (If-None-Match, else If-Modified-Since).
func serveBody(w http.ResponseWriter, r *http.Request, b *body) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", b.etag)
	if !b.modified.IsZero() {
		h.Set("Last-Modified", b.modified.Format(http.TimeFormat))
	}
	if notModified(r, b) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.data)
	}
}

// notModified applies RFC 9110 §13.1.2 and §13.1.3: If-None-Match wins
// over If-Modified-Since, and compares weakly.
func notModified(r *http.Request, b *body) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return etagListMatches(strings.Join(inm, ","), b.etag)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || b.modified.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !b.modified.After(t)
}

// etagListMatches reports whether the If-None-Match list holds "*" or
// etag (weak comparison: a W/ prefix is ignored).
func etagListMatches(list, etag string) bool {
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// jsonError writes a one-line JSON error. The reason is JSON-escaped with
// <, > and & as \u escapes, so nothing a client sent comes back as markup.
func jsonError(w http.ResponseWriter, code int, reason string) {
	b, _ := json.Marshal(apiv1.Error{Error: reason})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// readQuery refuses a request that has a body, an overlong or malformed
// query string, a parameter not in allowed, or one given twice; it
// answers the client itself and returns ok false then.
func readQuery(w http.ResponseWriter, r *http.Request, allowed ...string) (q url.Values, ok bool) {
	if len(r.URL.RawQuery) > maxQuery {
		jsonError(w, http.StatusRequestURITooLong, fmt.Sprintf("query string longer than %d bytes", maxQuery))
		return nil, false
	}
	if hasBody(r) {
		jsonError(w, http.StatusRequestEntityTooLarge, r.Method+" takes no request body")
		return nil, false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "malformed query string")
		return nil, false
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			jsonError(w, http.StatusBadRequest, "unknown parameter "+quoteShort(k)+allowedList(allowed))
			return nil, false
		}
		if len(vs) > 1 {
			jsonError(w, http.StatusBadRequest, "parameter "+k+" given more than once")
			return nil, false
		}
	}
	return q, true
}

// hasBody reports whether the request carries a body (it reads at most
// one byte of it).
func hasBody(r *http.Request) bool {
	if r.ContentLength > 0 {
		return true
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return false
	}
	n, _ := io.ReadFull(r.Body, make([]byte, 1))
	return n > 0
}

func allowedList(allowed []string) string {
	if len(allowed) == 0 {
		return " (this route takes no parameters)"
	}
	return " (allowed: " + strings.Join(allowed, ", ") + ")"
}

// quoteShort quotes s for an error message, cut to 64 bytes.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
