package checkin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Report is the check-in body.
type Report struct {
	Mirror string           `json:"mirror"`
	Trees  map[string]int64 `json:"trees"`
	Time   int64            `json:"time"`
}

// Client posts check-ins.
type Client struct {
	URL   string
	Token []byte
	HTTP  *http.Client
	Now   func() time.Time
}

// Send posts the report for mirror with the given tree stamps.
func (c *Client) Send(ctx context.Context, mirror string, trees map[string]int64) error {
	now := c.Now().Unix()
	body, err := json.Marshal(Report{Mirror: mirror, Trees: trees, Time: now})
	if err != nil {
		return fmt.Errorf("check-in: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("check-in: %w", err)
	}
	ts := strconv.FormatInt(now, 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderMirror, mirror)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(c.Token, ts, body))
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("check-in: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("check-in: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
