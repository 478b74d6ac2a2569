package dnssec

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseKey feeds arbitrary .key and .private contents to the key file
// parser: it must never panic, a refusal must be ErrKeyFile naming one of
// the files, and an accepted pair must write out and parse back as the
// same key. Seeds (BIND-generated ECDSA P-256 and Ed25519 pairs, and a
// mismatched pair) are in testdata/fuzz/FuzzParseKey.
func FuzzParseKey(f *testing.F) {
	const pubPath, privPath = "Kx.key", "Kx.private"
	f.Fuzz(func(t *testing.T, pub, priv []byte) {
		k, err := Parse(pub, priv, pubPath, privPath)
		if err != nil {
			if !errors.Is(err, ErrKeyFile) || !(strings.Contains(err.Error(), pubPath) || strings.Contains(err.Error(), privPath)) {
				t.Fatalf("error %v: want ErrKeyFile naming a file", err)
			}
			return
		}
		if k.Base != "Kx" || k.DNSKEY == nil || k.Private == nil {
			t.Fatalf("accepted %+v", k)
		}
		again, err := Parse([]byte(k.DNSKEY.String()), []byte(k.DNSKEY.PrivateKeyString(k.Private)), pubPath, privPath)
		if err != nil || again.Tag() != k.Tag() || again.KSK() != k.KSK() || again.DS().Digest != k.DS().Digest {
			t.Fatalf("does not round-trip: %v", err)
		}
	})
}
