package sshdial

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key failures. Both are final: there is no option to accept an
// unknown or changed key.
var (
	// ErrUnknownHost: known_hosts has no key for the server.
	ErrUnknownHost = errors.New("host key unknown")
	// ErrHostKeyMismatch: the server's key is not the one known_hosts
	// lists for it (the key changed, or someone is in the middle).
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrHostKeyRevoked: known_hosts marks the server's key @revoked.
	ErrHostKeyRevoked = errors.New("host key revoked")
)

type hostKeyChecker struct {
	file, addr string
	cb         ssh.HostKeyCallback
	algorithms []string // nil: the library's defaults (no plain key known)
}

// newHostKeyChecker loads file and works out which host key algorithms to
// ask addr for: only those of the keys known_hosts lists for it. Otherwise
// a server with several host keys could present one that is not pinned
// (ECDSA is preferred over Ed25519 by default) and fail verification.
func newHostKeyChecker(file, addr string) (*hostKeyChecker, error) {
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	h := &hostKeyChecker{file: file, addr: addr, cb: cb}
	for _, k := range h.knownKeys() {
		h.algorithms = appendAlgorithms(h.algorithms, k.Key.Type())
	}
	return h, nil
}

// knownKeys asks the callback about a key no host has: its KeyError lists
// every key known_hosts holds for addr.
func (h *hostKeyChecker) knownKeys() []knownhosts.KnownKey {
	probe, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if errors.As(h.cb(h.addr, fakeAddr(h.addr), probe), &ke) {
		return ke.Want
	}
	return nil
}

func appendAlgorithms(algs []string, keyType string) []string {
	add := []string{keyType}
	switch keyType {
	case ssh.KeyAlgoRSA:
		add = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	case ssh.CertAlgoRSAv01:
		add = []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01}
	}
	for _, a := range add {
		if !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs
}

// check is the ssh.HostKeyCallback: known_hosts decides, and its verdict
// becomes an error naming the host, the offered key and the file.
func (h *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	offered := key.Type() + " " + ssh.FingerprintSHA256(key)
	host := knownhosts.Normalize(hostname)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%w: %s offered %s, marked @revoked in %s:%d", ErrHostKeyRevoked, host, offered, re.Revoked.Filename, re.Revoked.Line)
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return fmt.Errorf("%w: %s (offered %s) is not in %s; verify the fingerprint out of band, then add the key (ssh-keyscan)",
			ErrUnknownHost, host, offered, h.file)
	case errors.As(err, &ke):
		return fmt.Errorf("%w: %s offered %s, but %s lists %s; refusing (if the key really changed, verify the new one out of band and replace it)",
			ErrHostKeyMismatch, host, offered, h.file, describe(ke.Want))
	}
	return fmt.Errorf("host key of %s (%s), checked against %s: %w", host, offered, h.file, err)
}

func describe(keys []knownhosts.KnownKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = fmt.Sprintf("%s %s (line %d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Line)
	}
	return strings.Join(s, ", ")
}

// fakeAddr is the remote address for the probe; knownhosts only splits it.
type fakeAddr string

func (fakeAddr) Network() string  { return "tcp" }
func (a fakeAddr) String() string { return string(a) }
