package advice

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
)

// Advice is the answer, as the agent decodes it (agent/advice.Advice).
type Advice struct {
	Tree      string   `json:"tree"`
	Signal    int64    `json:"signal"`
	Issued    int64    `json:"issued"`
	Expires   int64    `json:"expires"`
	Sources   []string `json:"sources"`
	Signature string   `json:"signature"`
}

// Canonical is the signed part of Advice: these fields in this order, no
// whitespace, "sources":[] when empty (contrib/agent/README.md).
type Canonical struct {
	Tree    string   `json:"tree"`
	Signal  int64    `json:"signal"`
	Issued  int64    `json:"issued"`
	Expires int64    `json:"expires"`
	Sources []string `json:"sources"`
}

// CanonicalBytes returns the bytes the signature covers. Tree names and
// usable sources hold nothing encoding/json escapes, so these are the
// bytes the agent rebuilds.
func (a Advice) CanonicalBytes() []byte {
	src := a.Sources
	if src == nil {
		src = []string{}
	}
	b, err := json.Marshal(Canonical{Tree: a.Tree, Signal: a.Signal, Issued: a.Issued, Expires: a.Expires, Sources: src})
	if err != nil {
		panic("advice: marshal of strings and integers failed: " + err.Error()) // cannot happen
	}
	return b
}

// Sign returns a with Sources non-nil and Signature set: the standard
// base64 (padded) of the Ed25519 signature over a's canonical bytes.
func Sign(key ed25519.PrivateKey, a Advice) Advice {
	if a.Sources == nil {
		a.Sources = []string{}
	}
	a.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, a.CanonicalBytes()))
	return a
}
