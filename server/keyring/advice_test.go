package keyring

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice/advicekey"
)

func TestAdvicePublicKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), AdviceKeyFile)
	if _, err := AdvicePublicKey(path); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "signald creates") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("AdvicePublicKey created the key")
	}
	k, _, err := advicekey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AdvicePublicKey(path)
	if err != nil || got != advicekey.PublicKeyString(k) {
		t.Fatalf("AdvicePublicKey = %q, %v; want %q", got, err, advicekey.PublicKeyString(k))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := AdvicePublicKey(path); !errors.Is(err, advicekey.ErrKeyFile) {
		t.Fatalf("0644 key: %v", err)
	}
}
