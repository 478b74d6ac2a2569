package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body with the shared secret (see Sign).
	SignatureHeader = "X-Mirrorsignal-Signature"
	// TimestampHeader carries the body's "timestamp", Unix seconds.
	TimestampHeader = "X-Mirrorsignal-Timestamp"
)

// maxResponse bounds how much of a webhook's answer is read (and
// discarded), so that the connection can be reused.
const maxResponse = 4 << 10

// Sign returns the value of SignatureHeader for body: "sha256=" and the
// hex HMAC-SHA256 of body with secret. Receivers compare it with
// hmac.Equal.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhook POSTs each message as signed JSON.
type webhook struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

func newWebhook(c WebhookConfig) *webhook {
	return &webhook{
		url:    c.URL,
		secret: []byte(c.Secret),
		client: &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:   c.Timeout,
			// A redirect is an answer, not a delivery: it fails.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}
}

func (w *webhook) name() string { return "webhook" }

func (w *webhook) send(ctx context.Context, m message) error {
	ts := w.now().Unix()
	body, err := json.Marshal(newPayload(m.cleaned(), ts))
	if err != nil {
		return permanent(fmt.Errorf("webhook: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("webhook: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mirrorsignal-alert")
	req.Header.Set(SignatureHeader, Sign(w.secret, body))
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	return statusError(resp.StatusCode)
}

// statusError maps a webhook's HTTP status to nil (2xx), a retryable
// error (5xx, 408, 429) or a permanent one (the rest).
func statusError(code int) error {
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("webhook: HTTP status %d", code)
	if code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests {
		return err
	}
	return permanent(err)
}
