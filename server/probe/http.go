package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
)

// newClient builds the HTTP client of one family. Probes are rare per host,
// so keep-alive is off: every probe opens its own connection, which also
// means every probe really tests the path, and no idle connection outlives
// it. HTTP/1.1 only. No cookie jar; no proxy unless configured.
func newClient(cfg Config, fam Family) *http.Client { return HTTPClient(cfg, fam) }

// HTTPClient is the probes' HTTP client for fam, for other fetches of a
// mirror that want the same rules (repodata/repomd.xml): cfg's RootCAs,
// Timeout (for the TLS handshake and the response headers) and Proxy are
// used; the body cap is the caller's.
func HTTPClient(cfg Config, fam Family) *http.Client {
	dialer := &net.Dialer{KeepAlive: -1}
	network := fam.network()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		DisableKeepAlives:      true,
		DisableCompression:     true, // the cap counts bytes on the wire
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrRedirects, MaxRedirects)
	}
	return nil
}

// fetchHTTP GETs u and returns its body, at most BodyCap bytes.
func (p *Prober) fetchHTTP(ctx context.Context, u *url.URL, fam Family) ([]byte, error) {
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { connected.Store(false) }, // each request, redirects too
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				connected.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	req.Header.Set("User-Agent", p.userAgent)
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Pragma", "no-cache")
	resp, err := p.clients[fam].Do(req)
	if err != nil {
		return nil, explain(err, connected.Load())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The reason phrase is the server's text: use Go's own.
		return nil, fmt.Errorf("%w: %d %s", ErrHTTPStatus, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if resp.ContentLength > p.cfg.BodyCap {
		return nil, fmt.Errorf("%w: Content-Length %d, at most %d", ErrTooBig, resp.ContentLength, p.cfg.BodyCap)
	}
	body, err := ReadCapped(resp.Body, p.cfg.BodyCap)
	if err != nil {
		return nil, explain(err, true)
	}
	return body, nil
}
