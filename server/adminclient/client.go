package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// maxAnswer caps what is read of an answer.
const maxAnswer = 64 << 10

// socketBase is the URL base used over a Unix socket (the host is not used).
const socketBase = "http://signald-admin"

// Client calls the admin API.
type Client struct {
	base  string
	token string // sent when not empty
	http  *http.Client
}

// Socket returns a client of the admin socket at path.
func Socket(path string) *Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{base: socketBase, http: &http.Client{Transport: tr}}
}

// TCP returns a client of the admin API at base (http://host:port) with
// the bearer token.
func TCP(base, token string) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), token: token, http: &http.Client{}}
}

// WithToken makes c send the bearer token; on the socket signald checks a
// token that is sent, though it needs none.
func (c *Client) WithToken(token string) *Client {
	c.token = token
	return c
}

// Refused is an answer other than 200: signald's status and reason.
type Refused struct {
	Status string // e.g. "409 Conflict"
	Code   int    // e.g. 409
	Reason string // the answer's body, trimmed
}

func (r *Refused) Error() string { return fmt.Sprintf("refused (%s): %s", r.Status, r.Reason) }

// post sends in as JSON to path and decodes a 200 or 202 answer into out.
func (c *Client) post(ctx context.Context, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.do(ctx, http.MethodPost, path, body, out)
}

// get decodes the answer to GET path into out.
func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return &Refused{Status: resp.Status, Code: resp.StatusCode, Reason: strings.TrimSpace(string(data))}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("bad answer from signald: %w", err)
	}
	return nil
}
