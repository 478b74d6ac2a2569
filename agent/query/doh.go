package query

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/miekg/dns"
)

// DNS over HTTPS (RFC 8484) constants.
const (
	// DoHMediaType is the type of request and response bodies.
	DoHMediaType = "application/dns-message"
	// maxDoHMessage caps a DoH response body: a DNS message has at most
	// 65535 bytes.
	maxDoHMessage = 65535
	// dohHandshakeTimeout bounds the TLS handshake (the query's Timeout
	// bounds the whole exchange as well).
	dohHandshakeTimeout = 10 * time.Second
	// dohIdleTimeout keeps the connection for the next query of a pass.
	dohIdleTimeout = 30 * time.Second
)

// errRedirect refuses redirects: a DoH endpoint answers where it is asked,
// and following one could leave TLS.
var errRedirect = errors.New("DoH server redirected; set dns.doh to the final URL")

// HTTPSClient returns the HTTP client for DNS over HTTPS: TLS 1.2 or later
// verified against roots (nil: the system pool), HTTP/2 when the server
// offers it, the proxy of the environment (HTTPS_PROXY), no redirects.
func HTTPSClient(roots *x509.CertPool) *http.Client {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: dohHandshakeTimeout,
		IdleConnTimeout:     dohIdleTimeout,
		MaxIdleConnsPerHost: 1,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
}

// exchangeHTTPS POSTs q to the DoH URL and returns the answer. The query
// ID is 0, as RFC 8484 §4.1 asks (HTTP pairs the answer with the question).
func (c *Client) exchangeHTTPS(ctx context.Context, url string, q *dns.Msg) (*dns.Msg, error) {
	q.Id = 0
	wire, err := q.Pack()
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(wire))
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	req.Header.Set("Content-Type", DoHMediaType)
	req.Header.Set("Accept", DoHMediaType)
	resp, err := c.HTTPS.Do(req)
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	defer resp.Body.Close()
	body, err := readDoH(resp)
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(body); err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	if m.Id != q.Id || !m.Response {
		return nil, fmt.Errorf("https: %w: not a response to the query (ID %d, QR %v)", ErrAnswer, m.Id, m.Response)
	}
	return m, nil
}

// readDoH returns the body of a DoH answer: status 200, type
// application/dns-message, at most maxDoHMessage bytes.
func readDoH(resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		line, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("%s: %q", resp.Status, bytes.TrimSpace(line))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != DoHMediaType {
		return nil, fmt.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), DoHMediaType)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDoHMessage+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxDoHMessage {
		return nil, fmt.Errorf("answer over %d bytes", maxDoHMessage)
	}
	return body, nil
}
