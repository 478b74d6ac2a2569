package sshdial_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial/sshdtest"
)

func TestDialHostKeys(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	wrong := sshdtest.Start(t, sshdtest.Options{}) // another server's keys
	tests := []struct {
		name  string
		known func() string
		want  error // nil: the dial works
	}{
		{"ed25519 pinned", func() string { return srv.KnownHosts }, nil},
		{"ecdsa pinned", func() string { return srv.WriteKnownHosts(t, "kh_ecdsa", srv.HostKeys[1]) }, nil},
		{"wrong key", func() string { return srv.WriteKnownHosts(t, "kh_wrong", wrong.HostKeys[0]) }, sshdial.ErrHostKeyMismatch},
		{"wrong key of each type", func() string {
			return srv.WriteKnownHosts(t, "kh_wrong2", wrong.HostKeys...)
		}, sshdial.ErrHostKeyMismatch},
		{"unknown host", func() string { return srv.WriteKnownHosts(t, "kh_empty") }, sshdial.ErrUnknownHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.Config()
			cfg.KnownHostsFile = tt.known()
			c, err := sshdial.Dial(t.Context(), cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				out, err := runTrue(c)
				if err != nil {
					t.Fatalf("session: %v (%s)", err, out)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, s := range []string{srv.Addr, cfg.KnownHostsFile, "SHA256:"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}

func runTrue(c *ssh.Client) ([]byte, error) {
	s, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.CombinedOutput("true")
}

func TestDialStallingServer(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	cfg := srv.Config()
	cfg.Addr = sshdtest.Stall(t)
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	_, err := sshdial.Dial(t.Context(), cfg)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %v, timeout 500ms", d)
	}

	cfg.Timeout = time.Minute
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	if _, err := sshdial.Dial(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up %v after the cancel", d)
	}
}

func TestDialRefusesExposedKey(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	cfg := srv.Config()
	key, err := os.ReadFile(cfg.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.IdentityFile = filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(cfg.IdentityFile, key, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := sshdial.Dial(t.Context(), cfg); !errors.Is(err, sshdial.ErrKeyPermissions) {
		t.Fatalf("err = %v, want ErrKeyPermissions", err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := sshdial.Config{Addr: "h:22", User: "u", IdentityFile: "k", KnownHostsFile: "kh"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		mod        func(*sshdial.Config)
	}{
		{"no port", "addr", func(c *sshdial.Config) { c.Addr = "h" }},
		{"no user", "user", func(c *sshdial.Config) { c.User = "" }},
		{"no key", "identity_file", func(c *sshdial.Config) { c.IdentityFile = "" }},
		{"no known_hosts", "known_hosts", func(c *sshdial.Config) { c.KnownHostsFile = "" }},
		{"negative timeout", "timeout", func(c *sshdial.Config) { c.Timeout = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
