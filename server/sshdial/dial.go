// Package sshdial opens the SSH connections signald makes to masters
// (planting TIME files over SFTP) and to mirrors (push triggers): public-key
// authentication from a key file, the server's host key always verified
// against a known_hosts file, and a context that bounds the whole connect
// and handshake. There is deliberately no way to skip host key
// verification. It imports no other package of this module.
package sshdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// DefaultTimeout bounds the TCP connect plus the SSH handshake and
// authentication when Config.Timeout is zero. A server that accepts the
// connection and then says nothing is given up on after this long.
const DefaultTimeout = 30 * time.Second

// Config says where and as whom to connect.
type Config struct {
	Addr           string        // host:port of the SSH server
	User           string        // remote user name
	IdentityFile   string        // private key (OpenSSH or PEM format, unencrypted, mode 0600 or stricter)
	KnownHostsFile string        // OpenSSH known_hosts holding the server's host key
	Timeout        time.Duration // connect + handshake; 0 = DefaultTimeout
}

// Validate checks that every field is set sensibly; the errors name the field.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port: %w", c.Addr, err))
	}
	if c.User == "" {
		errs = append(errs, errors.New("user: empty"))
	}
	if c.IdentityFile == "" {
		errs = append(errs, errors.New("identity_file: empty"))
	}
	if c.KnownHostsFile == "" {
		errs = append(errs, errors.New("known_hosts: empty (host keys are always verified)"))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v: negative", c.Timeout))
	}
	return errors.Join(errs...)
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Dial connects to cfg.Addr, verifies its host key against
// cfg.KnownHostsFile and authenticates with cfg.IdentityFile. The connect,
// handshake and authentication end when ctx ends or after cfg.Timeout,
// whichever comes first; the connection is closed then. Once Dial has
// returned, ctx no longer governs the client: callers that want ctx to
// bound their work close the client when it ends (context.AfterFunc).
func Dial(ctx context.Context, cfg Config) (*ssh.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ssh %s: %w", cfg.Addr, err)
	}
	signer, err := loadIdentity(cfg.IdentityFile)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", cfg.Addr, err)
	}
	hk, err := newHostKeyChecker(cfg.KnownHostsFile, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", cfg.Addr, err)
	}
	cc := &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algorithms,
	}
	timeout := cfg.timeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("no SSH session within %v: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	client, err := handshake(ctx, cfg.Addr, cc)
	if err != nil {
		return nil, fmt.Errorf("ssh %s@%s: %w", cfg.User, cfg.Addr, err)
	}
	return client, nil
}

// handshake dials addr and runs the SSH handshake, closing the connection
// when ctx ends first.
func handshake(ctx context.Context, addr string, cc *ssh.ClientConfig) (*ssh.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect: %w", context.Cause(ctx))
		}
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cc)
	stop()
	if ctx.Err() != nil { // the deadline or a cancel, not what it broke, is the news
		if err == nil {
			c.Close()
		}
		conn.Close()
		return nil, fmt.Errorf("handshake: %w", context.Cause(ctx))
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}
