package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
)

// TestSignalctlCheck: `signalctl check` as a Nagios plugin against
// signald's signal and the mirrors of mirrors.toml: fresh 0, behind 1,
// garbage or unreachable 2, unknown mirror 3.
func TestSignalctlCheck(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	in.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	check := func(args ...string) (string, int) {
		cmd := exec.Command(filepath.Join(binDir, "signalctl"), append([]string{"check", "--config", in.cfg}, args...)...)
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	closed := fmt.Sprintf("http://127.0.0.1:%d/vault/", dnsharness.FreePort(t))
	for _, tt := range []struct {
		name string
		set  []byte
		args []string
		code int
		want string
	}{
		{"fresh over http", nil, []string{"t1a.example.net"}, 0, "MIRROR OK"},
		{"fresh over rsync", nil, []string{"t1d.example.net", "--tree", "vault"}, 0, "fresh"},
		{"behind", []byte("1700000000\n"), []string{"t1c.example.net"}, 1, "MIRROR WARNING"},
		{"garbage", []byte("soon\n"), []string{"t1c.example.net"}, 2, "MIRROR CRITICAL"},
		{"unreachable URL", nil, []string{closed, "--tree", "vault"}, 2, "unreachable"},
		{"URL without tree", nil, []string{closed}, 3, "MIRROR UNKNOWN"},
		{"unknown mirror", nil, []string{"nosuch.example.net"}, 3, "no mirror"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set != nil {
				f.setLagging(tt.set)
			}
			out, code := check(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}
