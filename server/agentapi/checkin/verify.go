package checkin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Header names of the wire format (the same as agent/checkin's).
const (
	HeaderMirror    = "X-Mirrorsignal-Mirror"
	HeaderTimestamp = "X-Mirrorsignal-Timestamp"
	HeaderSignature = "X-Mirrorsignal-Signature"
)

// signature is a decoded HMAC-SHA256; it keys the replay memory, so a
// signature re-sent in upper-case hex is the same signature.
type signature [sha256.Size]byte

// parseTimestamp accepts canonical decimal Unix seconds: no sign, no
// leading zeros, no spaces.
func parseTimestamp(s string) (int64, bool) {
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts < 0 || strconv.FormatInt(ts, 10) != s {
		return 0, false
	}
	return ts, true
}

// inWindow reports whether Unix second ts lies within MaxSkew of now.
func inWindow(ts int64, now time.Time) bool {
	return now.Sub(time.Unix(ts, 0)).Abs() <= MaxSkew
}

// parseSignature decodes the hex of an HMAC-SHA256.
func parseSignature(s string) (signature, bool) {
	var sig signature
	if hex.DecodedLen(len(s)) != len(sig) {
		return sig, false
	}
	_, err := hex.Decode(sig[:], []byte(s))
	return sig, err == nil
}

// mac is HMAC-SHA256(token, timestamp + "\n" + body), as the agent signs.
func mac(token []byte, timestamp string, body []byte) signature {
	m := hmac.New(sha256.New, token)
	m.Write([]byte(timestamp))
	m.Write([]byte{'\n'})
	m.Write(body)
	var sig signature
	m.Sum(sig[:0])
	return sig
}

// verify compares sig with the MAC of timestamp and body in constant time.
func verify(token []byte, timestamp string, body []byte, sig signature) bool {
	want := mac(token, timestamp, body)
	return hmac.Equal(sig[:], want[:])
}
