package repomd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// DefaultTimeout bounds one whole fetch when Config.Timeout is 0. The
// client (redirects, header size, TLS) is the probes' (probe.HTTPClient).
const DefaultTimeout = 10 * time.Second

// The reasons a Fetch fails besides ErrBad (the body is not a repomd.xml
// Parse accepts, or is bigger than MaxSize).
var (
	// ErrMissing: the server answered 404 or 410. A mirror may leave out
	// a repository or an architecture it does not carry.
	ErrMissing = errors.New("repomd.xml missing")
	// ErrFetch: anything else went wrong: no connection, TLS, another
	// HTTP status, a timeout, too many redirects, a bad URL.
	ErrFetch = errors.New("fetching repomd.xml")
)

// Config configures a Fetcher; zero values take the defaults.
type Config struct {
	// Version goes into the User-Agent, as the prober's.
	Version string
	// Timeout bounds one whole fetch; 0: DefaultTimeout.
	Timeout time.Duration
	// RootCAs verifies HTTPS servers; nil: the system roots. There is no
	// way to turn verification off.
	RootCAs *x509.CertPool
	// Proxy is an HTTP proxy; nil: connect directly (never from the
	// environment).
	Proxy *url.URL
}

// Fetcher gets repomd.xml files over HTTP(S), one connection per fetch
// (as the prober: each fetch tests the path). It is safe for concurrent
// use; bounding the fetches in flight is the caller's job.
type Fetcher struct {
	timeout   time.Duration
	userAgent string
	clients   map[probe.Family]*http.Client
}

// NewFetcher builds a Fetcher with one transport per IP family.
func NewFetcher(cfg Config) (*Fetcher, error) {
	if cfg.Timeout < 0 {
		return nil, errors.New("repomd: timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	f := &Fetcher{timeout: cfg.Timeout, userAgent: fmt.Sprintf("mirrorsignal/%s (+checker)", cfg.Version),
		clients: map[probe.Family]*http.Client{}}
	for _, fam := range []probe.Family{probe.Any, probe.IPv4, probe.IPv6} {
		f.clients[fam] = newClient(cfg, fam)
	}
	return f, nil
}

func newClient(cfg Config, fam probe.Family) *http.Client {
	return probe.HTTPClient(probe.Config{RootCAs: cfg.RootCAs, Timeout: cfg.Timeout, Proxy: cfg.Proxy}, fam)
}

// Fetch gets and parses the repomd.xml at rawURL (http or https) over
// fam. Its error wraps ErrMissing, ErrBad or ErrFetch.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, fam probe.Family) (Repomd, error) {
	b, err := f.get(ctx, rawURL, fam)
	if err != nil {
		return Repomd{}, err
	}
	return Parse(b)
}

func (f *Fetcher) get(ctx context.Context, rawURL string, fam probe.Family) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrFetch, rawURL)
	}
	client := f.clients[fam]
	if client == nil {
		return nil, fmt.Errorf("%w: unknown family %v", ErrFetch, fam)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Pragma", "no-cache")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone:
		return nil, fmt.Errorf("%w: %d %s", ErrMissing, resp.StatusCode, http.StatusText(resp.StatusCode))
	default:
		return nil, fmt.Errorf("%w: HTTP %d %s", ErrFetch, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if resp.ContentLength > MaxSize {
		return nil, fmt.Errorf("%w: Content-Length %d, at most %d", ErrBad, resp.ContentLength, MaxSize)
	}
	b, err := probe.ReadCapped(resp.Body, MaxSize)
	switch {
	case errors.Is(err, probe.ErrTooBig):
		return nil, fmt.Errorf("%w: %w", ErrBad, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	return b, nil
}
