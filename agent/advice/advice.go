package advice

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Protocol bounds.
const (
	MaxBodySize = 64 << 10        // bytes of advice read
	MaxSources  = 32              // sources in one advice
	MaxValidity = 24 * time.Hour  // expires - issued
	IssueSkew   = 5 * time.Minute // issued may be this far in the future
)

// ErrAdvice is advice that must not be used.
var ErrAdvice = errors.New("sync-source advice refused")

// Advice is the signed object.
type Advice struct {
	Tree      string   `json:"tree"`
	Signal    int64    `json:"signal"`
	Issued    int64    `json:"issued"`
	Expires   int64    `json:"expires"`
	Sources   []string `json:"sources"`
	Signature string   `json:"signature,omitempty"`
}

// Canonical is the signed part, in signing order.
type Canonical struct {
	Tree    string   `json:"tree"`
	Signal  int64    `json:"signal"`
	Issued  int64    `json:"issued"`
	Expires int64    `json:"expires"`
	Sources []string `json:"sources"`
}

// CanonicalBytes returns the bytes the signature covers.
func (a Advice) CanonicalBytes() []byte {
	src := a.Sources
	if src == nil {
		src = []string{}
	}
	b, _ := json.Marshal(Canonical{Tree: a.Tree, Signal: a.Signal, Issued: a.Issued, Expires: a.Expires, Sources: src})
	return b
}

// Sign returns a with Signature set (used by tests; the server signs its own).
func Sign(priv ed25519.PrivateKey, a Advice) Advice {
	a.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, a.CanonicalBytes()))
	return a
}

// Parse decodes advice strictly (unknown fields, trailing data and oversized
// bodies are refused) and checks its form. It does not verify the signature.
func Parse(data []byte) (Advice, error) {
	if len(data) > MaxBodySize {
		return Advice{}, fmt.Errorf("%w: %d bytes, at most %d", ErrAdvice, len(data), MaxBodySize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var a Advice
	if err := dec.Decode(&a); err != nil {
		return Advice{}, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	if dec.More() {
		return Advice{}, fmt.Errorf("%w: trailing data", ErrAdvice)
	}
	if err := a.checkForm(); err != nil {
		return Advice{}, fmt.Errorf("%w: %w", ErrAdvice, err)
	}
	return a, nil
}

func (a Advice) checkForm() error {
	if err := signal.ValidTreeName(a.Tree); err != nil {
		return err
	}
	if err := signal.CheckStamp(a.Signal); err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	if len(a.Sources) > MaxSources {
		return fmt.Errorf("%d sources, at most %d", len(a.Sources), MaxSources)
	}
	for _, s := range a.Sources {
		if err := checkSource(s); err != nil {
			return err
		}
	}
	return nil
}

func checkSource(s string) error {
	for i := 0; i < len(s); i++ {
		// config.ParseSource refuses a space too, so `c < ' '` is an equivalent mutant.
		if c := s[i]; c <= ' ' || c > '~' || strings.IndexByte(`"\<>&`, c) >= 0 {
			return fmt.Errorf("source %q: byte %q not allowed", s, c)
		}
	}
	src, err := config.ParseSource(s)
	if err != nil {
		return err
	}
	if src.User != "" {
		return fmt.Errorf("source %q: a user would send the agent's rsync password to an advised host", s)
	}
	return nil
}

// Verify checks the signature with pub, that the advice is for tree and for
// a signal at least stamp, and that now lies within [issued-IssueSkew, expires).
func (a Advice) Verify(pub ed25519.PublicKey, tree string, stamp int64, now time.Time) error {
	sig, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is not base64 of %d bytes", ErrAdvice, ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, a.CanonicalBytes(), sig) {
		return fmt.Errorf("%w: Ed25519 signature does not verify with the pinned key", ErrAdvice)
	}
	switch {
	case a.Tree != tree:
		return fmt.Errorf("%w: advice is for tree %q, asked %q", ErrAdvice, a.Tree, tree)
	case a.Signal < stamp:
		return fmt.Errorf("%w: advice is for signal %d, older than %d", ErrAdvice, a.Signal, stamp)
	case !validity(a.Issued, a.Expires):
		return fmt.Errorf("%w: validity %d..%d is empty or longer than %s", ErrAdvice, a.Issued, a.Expires, MaxValidity)
	case now.Add(IssueSkew).Unix() < a.Issued:
		return fmt.Errorf("%w: issued in the future (%d)", ErrAdvice, a.Issued)
	case now.Unix() >= a.Expires:
		return fmt.Errorf("%w: expired at %d", ErrAdvice, a.Expires)
	}
	return nil
}

// validity reports whether issued < expires <= issued + MaxValidity. It
// compares integer seconds: converting the span to a time.Duration would
// wrap for a span near 2^64 ns and let one advice stay valid for ever.
func validity(issued, expires int64) bool {
	span := expires - issued // wraps negative only when the true span exceeds MaxInt64
	// expires > issued and span > 0 agree except when span wraps; at the
	// boundary (expires == issued, span 0) the other is false either way,
	// so `>=` in one of them is an equivalent mutant.
	return expires > issued && span > 0 && span <= int64(MaxValidity/time.Second)
}
