package adminclient

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// writeConfig writes a minimal valid signald configuration with state in
// dir and the admin section admin, and the admin token file.
func writeConfig(t *testing.T, dir, admin string) string {
	t.Helper()
	text := `state_dir = "` + dir + `"
[zone]
origin = "mirrors.example.test."
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
` + admin
	path := filepath.Join(dir, "signald.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte("config-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	sockCfg := writeConfig(t, dir, "")
	tcpDir := t.TempDir()
	tcpCfg := writeConfig(t, tcpDir, "[admin]\nlisten = \"127.0.0.1:8081\"\n")
	offDir := t.TempDir()
	offCfg := writeConfig(t, offDir, "[admin]\nenabled = false\n")
	flagToken := filepath.Join(t.TempDir(), "flag.token")
	os.WriteFile(flagToken, []byte(" flag-token \n"), 0o600)
	missing := filepath.Join(t.TempDir(), "absent.toml")

	tests := []struct {
		name      string
		opts      Options
		base      string
		token     string
		configErr bool
	}{
		{"socket flag, no config read", Options{Config: missing, Socket: "/run/s.sock"}, socketBase, "", false},
		{"socket flag with token", Options{Config: missing, Socket: "/run/s.sock", TokenFile: flagToken}, socketBase, "flag-token", false},
		{"url and token file, no config read", Options{Config: missing, URL: "http://127.0.0.1:9/", TokenFile: flagToken}, "http://127.0.0.1:9", "flag-token", false},
		{"url, token from config", Options{Config: sockCfg, URL: "http://127.0.0.1:9"}, "http://127.0.0.1:9", "config-token", false},
		{"config socket", Options{Config: sockCfg}, socketBase, "", false},
		{"config socket, token flag", Options{Config: sockCfg, TokenFile: flagToken}, socketBase, "flag-token", false},
		{"config tcp", Options{Config: tcpCfg}, "http://127.0.0.1:8081", "config-token", false},
		{"config tcp, token flag", Options{Config: tcpCfg, TokenFile: flagToken}, "http://127.0.0.1:8081", "flag-token", false},
		{"admin off", Options{Config: offCfg}, "", "", true},
		{"config missing", Options{Config: missing}, "", "", true},
		{"url, config missing", Options{Config: missing, URL: "http://127.0.0.1:9"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if tt.configErr {
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatalf("New = %v, %v; want a *config.Error", c, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.base != tt.base || c.token != tt.token {
				t.Errorf("client at %q with token %q, want %q with %q", c.base, c.token, tt.base, tt.token)
			}
		})
	}
}

func TestNewTokenErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "[admin]\nlisten = \"127.0.0.1:8081\"\n")
	os.Remove(filepath.Join(dir, "admin.token"))
	absent := filepath.Join(dir, "absent.token")
	for name, o := range map[string]Options{
		"token flag missing":  {Socket: "/run/s.sock", TokenFile: absent},
		"config token absent": {Config: cfg},
		"url, config token":   {Config: cfg, URL: "http://127.0.0.1:9"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(o); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("New = %v, want a missing token file", err)
			}
		})
	}
}
