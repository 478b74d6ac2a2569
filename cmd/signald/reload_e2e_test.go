package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPBrokenMirrorList: a mirrors.toml broken on disk and then
// SIGHUP keeps the list in use (the checker goes on probing its mirrors)
// and logs the mirror and key at fault.
func TestSIGHUPBrokenMirrorList(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	appendConfig(t, in.cfg, "[checker]\ninterval = \"1s\"\nfast_interval = \"1s\"\ntimeout = \"1s\"\n")
	in.start(t)
	if out, err := in.signalctl("publish", "vault", "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	db := filepath.Join(in.dir, "var", "checker.db")
	if !waitFor(30*time.Second, func() bool { return historyLen(t, db, "t1a.example.net") > 0 }) {
		t.Fatal("the checker never probed t1a")
	}
	path := filepath.Join(in.dir, "mirrors.toml")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), `country = "NL"`, `country = "Atlantis"`, 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	in.cmd.Process.Signal(syscall.SIGHUP)
	if !waitFor(10*time.Second, func() bool {
		log := in.stderr.String()
		return strings.Contains(log, "keeping the previous mirror list") && strings.Contains(log, `mirror \"t1d.example.net\": country`)
	}) {
		t.Fatalf("no error naming the mirror and key:\n%s", in.stderr)
	}
	before := historyLen(t, db, "t1d.example.net")
	if !waitFor(15*time.Second, func() bool { return historyLen(t, db, "t1d.example.net") > before }) {
		t.Fatal("the checker stopped probing a mirror of the kept list")
	}
	if err := in.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("signald died on a broken mirror list: %v", err)
	}
}
