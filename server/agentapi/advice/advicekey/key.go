// Package advicekey owns signald's sync-source advice key: an Ed25519
// private key in one file in state_dir (FileName), PKCS #8 in PEM
// ("PRIVATE KEY", as openssl writes it), mode 0600. signald creates it at
// its first start; signalctl reads it to print the public key agents pin.
// A key file that its group or others may read is refused.
//
// Standard library and signal/atomicfile only, so signalctl can link it.
package advicekey

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// FileName is the key file's name in state_dir.
const FileName = "advice.key"

// fileMode is the key file's mode; any bit in privateBits is refused.
const (
	fileMode    = 0o600
	privateBits = 0o077
)

// maxFileSize bounds what Load reads: a PEM Ed25519 key is about 120 bytes.
const maxFileSize = 4096

// pemType is the PEM block type of a PKCS #8 private key.
const pemType = "PRIVATE KEY"

// ErrKeyFile reports a key file that is missing, unreadable, not private
// enough or not an Ed25519 key.
var ErrKeyFile = errors.New("bad advice key file")

// Load reads the key at path.
func Load(path string) (ed25519.PrivateKey, error) {
	data, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	k, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKeyFile, path, err)
	}
	return k, nil
}

// LoadOrCreate reads the key at path, or when there is no file there
// generates one and writes it atomically, mode 0600. created says which.
func LoadOrCreate(path string) (k ed25519.PrivateKey, created bool, err error) {
	k, err = Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	data, err := generate(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := atomicfile.Write(path, data, fileMode); err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	// Read back what is on disk, so the key used is the key in the file.
	k, err = Load(path)
	return k, err == nil, err
}

// readPrivate reads path, refusing a file that is not a regular file or
// that its group or others may access.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKeyFile, path)
	}
	if perm := fi.Mode().Perm(); perm&privateBits != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o: others may read it; chmod 600 it, or delete it and restart signald to make a new key (agents must then pin the new public key)", ErrKeyFile, path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrKeyFile, path, maxFileSize)
	}
	return data, nil
}

// Parse reads a PEM PKCS #8 Ed25519 private key.
func Parse(data []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("no PEM %q block", pemType)
	}
	if more, _ := pem.Decode(rest); more != nil {
		return nil, errors.New("more than one PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	k, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 key", key)
	}
	return k, nil
}

// generate returns a new key in file form.
func generate(r io.Reader) ([]byte, error) {
	_, k, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("generate advice key: %w", err)
	}
	return Marshal(k)
}

// Marshal returns k in file form.
func Marshal(k ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

// PublicKeyString is the public half of k as agent.toml's
// sync_sources.public_key takes it: standard base64 (padded) of the 32
// raw bytes.
func PublicKeyString(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
}
