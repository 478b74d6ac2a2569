// Package checkin sends the report an agent makes after a sync, and holds
// the pure signing and verifying functions of its wire format.
//
// Wire format: POST to checkin.url with Content-Type application/json and
// the body
//
//	{"mirror":"NAME","trees":{"content":1488372781,…},"time":1488372800}
//
// (trees: the local TIME stamp of every configured tree; time: Unix seconds
// when sent) and the headers
//
//	X-Mirrorsignal-Mirror:    NAME
//	X-Mirrorsignal-Timestamp: decimal Unix seconds (the same as "time")
//	X-Mirrorsignal-Signature: hex(HMAC-SHA256(token, timestamp + "\n" + body))
//
// where body is the exact bytes sent. The server recomputes the HMAC over the
// bytes it received, compares in constant time and refuses a timestamp more
// than MaxSkew away from its clock. Any 2xx is success. The check-in is only
// a hint: the server re-checks the mirror, it never trusts the report.
//
// This package must not import server; the server has its own verifier.
package checkin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Header names of the wire format.
const (
	HeaderMirror    = "X-Mirrorsignal-Mirror"
	HeaderTimestamp = "X-Mirrorsignal-Timestamp"
	HeaderSignature = "X-Mirrorsignal-Signature"
)

// MaxSkew is how far a check-in timestamp may be from the verifier's clock.
const MaxSkew = 5 * time.Minute

// ErrSignature is a check-in that does not verify.
var ErrSignature = errors.New("check-in signature invalid")

// Sign returns hex(HMAC-SHA256(token, timestamp + "\n" + body)).
func Sign(token []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, token)
	m.Write([]byte(timestamp))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks signature over timestamp and body with token, and that the
// timestamp lies within maxSkew of now.
func Verify(token []byte, timestamp string, body []byte, signature string, now time.Time, maxSkew time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts < 0 || strconv.FormatInt(ts, 10) != timestamp {
		return fmt.Errorf("%w: timestamp %q is not canonical Unix seconds", ErrSignature, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)).Abs(); d > maxSkew {
		return fmt.Errorf("%w: timestamp is %s away from now, more than %s", ErrSignature, d, maxSkew)
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrSignature)
	}
	want, _ := hex.DecodeString(Sign(token, timestamp, body))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: HMAC mismatch", ErrSignature)
	}
	return nil
}
