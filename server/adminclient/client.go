// Package adminclient talks to signald's admin listener, over its Unix
// socket or loopback TCP with the token. It is what signalctl uses; it
// imports the API types and the configuration only, never the server's
// internals (so signalctl links no database).
package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/config"
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

// WithToken makes c send the bearer token; on the socket signald checks a
// token that is sent, though it needs none.
func (c *Client) WithToken(token string) *Client {
	c.token = token
	return c
}

// TCP returns a client of the admin API at base (http://host:port) with
// the bearer token.
func TCP(base, token string) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), token: token, http: &http.Client{}}
}

// FromConfig returns a client of the admin listener cfg configures: its
// socket, or its TCP address with the token read from publish.token_file.
func FromConfig(cfg *config.Config) (*Client, error) {
	if !cfg.Admin.Enabled {
		return nil, &config.Error{Key: "admin.enabled", Reason: "the admin listener is off: nothing to talk to"}
	}
	if path, ok := cfg.AdminSocket(); ok {
		return Socket(path), nil
	}
	ap, _ := cfg.AdminTCP()
	token, err := ReadToken(cfg.TokenPath())
	if err != nil {
		return nil, err
	}
	return TCP("http://"+ap.String(), token), nil
}

// ReadToken reads an admin token file.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Publish asks signald to publish req.
func (c *Client) Publish(ctx context.Context, req apiv1.PublishRequest) (apiv1.PublishResponse, error) {
	var out apiv1.PublishResponse
	err := c.post(ctx, apiv1.PathPublish, req, &out)
	var refused *Refused
	if errors.As(err, &refused) {
		return out, fmt.Errorf("publish %w", err)
	}
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	return out, nil
}

// Refused is an answer other than 200: signald's status and reason.
type Refused struct {
	Status string
	Code   int
	Reason string
}

func (r *Refused) Error() string { return fmt.Sprintf("refused (%s): %s", r.Status, r.Reason) }

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &Refused{Status: resp.Status, Code: resp.StatusCode, Reason: strings.TrimSpace(string(data))}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("bad answer from signald: %w", err)
	}
	return nil
}

// FormatPublish is the operator's one- or two-line account of a publish.
func FormatPublish(w io.Writer, r apiv1.PublishResponse) {
	when := time.Unix(r.Stamp, 0).UTC().Format(time.RFC3339)
	if r.Unchanged {
		fmt.Fprintf(w, "%s already at %d (%s); nothing changed, serial %d\n", r.Tree, r.Stamp, when, r.Serial)
		return
	}
	fmt.Fprintf(w, "published %s at %d (%s), was %d; serial %d, event %d\nsignal now %q\n", r.Tree, r.Stamp, when, r.Previous, r.Serial, r.Event, r.Record)
}
