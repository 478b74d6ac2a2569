package advice

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Client fetches and checks advice.
type Client struct {
	URL    string
	Mirror string
	Key    ed25519.PublicKey
	Allow  []string
	HTTP   *http.Client
	Now    func() time.Time
}

// Result is usable advice: the allowed sources, and those dropped.
type Result struct {
	Sources []string
	Dropped []string
}

// Fetch asks for the sources of tree at signal stamp and returns the allowed
// ones. Any error means: use the configured sources.
func (c *Client) Fetch(ctx context.Context, tree string, stamp int64) (Result, error) {
	data, err := c.get(ctx, tree)
	if err != nil {
		return Result{}, err
	}
	a, err := Parse(data)
	if err != nil {
		return Result{}, err
	}
	if err := a.Verify(c.Key, tree, stamp, c.Now()); err != nil {
		return Result{}, err
	}
	kept, dropped := Filter(a.Sources, c.Allow)
	if len(kept) == 0 {
		return Result{Dropped: dropped}, fmt.Errorf("%w: no advised source is on the allow-list (dropped %v)", ErrAdvice, dropped)
	}
	return Result{Sources: kept, Dropped: dropped}, nil
}

func (c *Client) get(ctx context.Context, tree string) ([]byte, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	q := u.Query()
	q.Set("mirror", c.Mirror)
	q.Set("tree", tree)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s", ErrAdvice, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	return data, nil
}
