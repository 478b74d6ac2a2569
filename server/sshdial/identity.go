package sshdial

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/ssh"
)

// ErrKeyPermissions reports a private key file that others may read. Like
// OpenSSH, Dial refuses such a key: whoever can read it can plant TIME files
// or trigger mirrors.
var ErrKeyPermissions = errors.New("private key file is accessible by group or others")

// loadIdentity reads an unencrypted private key that only its owner may
// read (mode 0600 or 0400).
func loadIdentity(path string) (ssh.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("identity file %s: mode %04o: %w (chmod 600 it)", path, perm, ErrKeyPermissions)
	}
	const maxKeySize = 64 << 10
	pem, err := io.ReadAll(io.LimitReader(f, maxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	if len(pem) > maxKeySize {
		return nil, fmt.Errorf("identity file %s: larger than %d bytes", path, maxKeySize)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("identity file %s: the key is passphrase-protected; signald needs an unencrypted key readable only by its user", path)
	}
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return signer, nil
}
