package advicekey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	k1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first start: created=%v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second start: created=%v, %v", created, err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second start made a new key instead of reusing the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key (no temp files)", len(entries))
	}
}

func TestRefusesOpenModes(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if _, _, err := LoadOrCreate(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); !errors.Is(err, ErrKeyFile) {
				t.Fatalf("Load of a %v key = %v, want ErrKeyFile", mode, err)
			}
			if _, _, err := LoadOrCreate(path); !errors.Is(err, ErrKeyFile) {
				t.Fatalf("LoadOrCreate of a %v key = %v, want ErrKeyFile", mode, err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("a refused key file was replaced")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, _ := Marshal(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	tests := []struct {
		name string
		path string
	}{
		{"missing", filepath.Join(dir, "none")},
		{"directory", dir},
		{"not PEM", write("text", []byte("hello\n"))},
		{"wrong block", write("cert", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))},
		{"two blocks", write("two", append(append([]byte{}, good...), good...))},
		{"too big", write("big", bytes.Repeat([]byte("x"), maxFileSize+1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.path); !errors.Is(err, ErrKeyFile) {
				t.Fatalf("Load = %v, want ErrKeyFile", err)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist too", err)
	}
}

func TestPublicKeyString(t *testing.T) {
	k := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	b, err := base64.StdEncoding.DecodeString(PublicKeyString(k))
	if err != nil || !bytes.Equal(b, k.Public().(ed25519.PublicKey)) {
		t.Fatalf("PublicKeyString does not decode to the 32 raw bytes: %v", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	data, err := Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("round trip: %v", err)
	}
}
