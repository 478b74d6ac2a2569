package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// racyWindow: a file whose modification time is this close to the time
// it was read may have changed again within the file system's timestamp
// granularity (a clock tick; 2 s on FAT), so its unchanged stat proves
// nothing and it is read again at the next poll.
const racyWindow = 2 * time.Second

// maxRedirects bounds the redirects the default client follows.
const maxRedirects = 3

// source yields the export's bytes when they may have changed.
type source interface {
	// fetch returns the export, or nil when it has not changed since
	// the last one accepted (or, for a file, the last one read).
	fetch(ctx context.Context) ([]byte, error)
	// accepted says the bytes fetch returned last are being served.
	accepted()
}

func newSource(o LoaderOptions) (source, error) {
	if o.Source == "" {
		return nil, errors.New("replica: no source: give a file path or an http(s) URL")
	}
	if u, err := url.Parse(o.Source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		c := o.HTTPClient
		if c == nil {
			c = defaultClient()
		}
		return &httpSource{url: u.String(), client: c, timeout: o.Timeout, max: status.MaxExportSize}, nil
	}
	if strings.Contains(o.Source, "://") {
		return nil, fmt.Errorf("replica: source %q: only file paths and http(s) URLs are supported", o.Source)
	}
	return &fileSource{path: o.Source, now: o.Now, max: status.MaxExportSize}, nil
}

// fileSource reads an export shipped to a local path (rsync, a shared
// volume). An atomic replacement (rename) gives a new file, so its stat
// changes even when the size and time do not.
type fileSource struct {
	path string
	now  func() time.Time
	max  int64

	last os.FileInfo // of the file read last; nil before
	racy bool        // last was read too soon after it changed
}

func (f *fileSource) fetch(context.Context) ([]byte, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	if f.last != nil && !f.racy && sameFile(f.last, fi) {
		return nil, nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := readCapped(fh, f.max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	// The stat of what was read, taken after reading: a change made in
	// place while reading moves the modification time past it.
	read, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	f.last = read
	f.racy = !read.ModTime().Before(f.now().Add(-racyWindow))
	return data, nil
}

// accepted does nothing: a file refused stays refused until it changes.
func (f *fileSource) accepted() {}

// sameFile reports whether a and b are the same file, unchanged.
func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// httpSource fetches a primary's GET /api/v1/status/export, conditionally
// on the ETag of the export served.
type httpSource struct {
	url     string
	client  *http.Client
	timeout time.Duration
	max     int64

	etag    string // of the export accepted last
	pending string // of the export fetched last
}

func (h *httpSource) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, err
	}
	if h.etag != "" {
		req.Header.Set("If-None-Match", h.etag)
	}
	req.Header.Set("User-Agent", "mirrorsignal-replica")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, nil
	case http.StatusOK:
	default:
		return nil, fmt.Errorf("GET %s: HTTP %d", h.url, resp.StatusCode)
	}
	data, err := readCapped(resp.Body, h.max)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", h.url, err)
	}
	h.pending = resp.Header.Get("ETag")
	return data, nil
}

// accepted makes the export fetched last the one asked about next time.
// A refused export is fetched again at the next poll: its fault may have
// been the transfer's.
func (h *httpSource) accepted() { h.etag = h.pending }

// readCapped reads r to the end, refusing more than max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("export larger than %d bytes", max)
	}
	return data, nil
}

// defaultClient follows a few redirects, never from https to http.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: t, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
		}
		return nil
	}}
}
