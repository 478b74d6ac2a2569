package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
)

// sender delivers one message over one channel, once; the Notifier
// retries. It returns a *permanentError for failures that a retry cannot
// fix (a refused request, a server without STARTTLS, a bad certificate).
type sender interface {
	name() string // the channel label in metrics and logs
	send(ctx context.Context, m message) error
}

// permanentError marks a failure not worth retrying.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// newID returns a random message identifier, 32 hex digits.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
