package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// runBin runs one of the built binaries and returns its exit code, stdout
// and stderr.
func runBin(t *testing.T, name string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestCheckConfig: `signald -check` and `signalctl check-config` accept a
// good configuration (exit 0, "FILE: ok") without starting anything, and
// reject a bad one with exit 78 and a message naming the file and the key.
func TestCheckConfig(t *testing.T) {
	in := newInstance(t)
	good, err := os.ReadFile(in.cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, extra string
		code        int
		key         string // the message names it
	}{
		{"good", "", 0, ""},
		{"good with rrl and dnssec", "[dns.rrl]\nrate = 5\nslip = 1\n[dnssec]\nenabled = true\ngenerate = true\n", 0, ""},
		{"unknown key", "[dns.rrl]\nratee = 5\n", 78, "dns.rrl.ratee"},
		{"unknown table", "[dnsec]\nenabled = true\n", 78, "dnsec"},
		{"rate out of range", "[dns.rrl]\nrate = 0\n", 78, "dns.rrl.rate"},
		{"bad prefix", "[dns.rrl]\nipv4_prefix = 33\n", 78, "dns.rrl.ipv4_prefix"},
		{"bad exempt", "[dns.rrl]\nexempt = [\"not-a-prefix\"]\n", 78, "dns.rrl.exempt[0]"},
		{"bad duration", "[publish]\nmax_future = \"5 minutes\"\n", 78, "publish.max_future"},
		{"bad algorithm", "[dnssec]\nenabled = true\nalgorithm = \"rsasha1\"\n", 78, "dnssec.algorithm"},
		{"wrong type", "[dns.rrl]\nrate = \"fast\"\n", 78, "rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "signald.toml")
			if err := os.WriteFile(cfg, append(slices.Clip(good), tt.extra...), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{
				{"signald", "-check", "-config", cfg},
				{"signalctl", "check-config", "--config", cfg},
			} {
				code, stdout, stderr := runBin(t, cmd[0], cmd[1:]...)
				if code != tt.code {
					t.Fatalf("%v: exit %d, want %d\nstdout %q\nstderr %q", cmd, code, tt.code, stdout, stderr)
				}
				if tt.code == 0 && stdout != cfg+": ok\n" {
					t.Fatalf("%v: stdout %q, want %q", cmd, stdout, cfg+": ok\n")
				}
				if tt.code != 0 && (!strings.Contains(stderr, cfg) || !strings.Contains(stderr, tt.key)) {
					t.Fatalf("%v: stderr %q does not name %s and %s", cmd, stderr, cfg, tt.key)
				}
			}
		})
	}
	// -check starts nothing: no state directory, no listener.
	if _, err := os.Stat(filepath.Join(in.dir, "var")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("signald -check created the state directory: %v", err)
	}
}

// TestSignaldExitCodes: signald itself refuses to start on a bad
// configuration with 78, on bad usage with 2.
func TestSignaldExitCodes(t *testing.T) {
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dns.rrl]\nslip = -1\n")
	if code, _, stderr := runBin(t, "signald", "-config", in.cfg); code != 78 || !strings.Contains(stderr, "dns.rrl.slip") {
		t.Fatalf("bad config: exit %d, stderr %q; want 78 naming dns.rrl.slip", code, stderr)
	}
	if code, _, stderr := runBin(t, "signald", "-config", in.cfg, "extra"); code != 2 {
		t.Fatalf("extra argument: exit %d, stderr %q; want 2", code, stderr)
	}
	if code, _, stderr := runBin(t, "signald", "-no-such-flag"); code != 2 {
		t.Fatalf("unknown flag: exit %d, stderr %q; want 2", code, stderr)
	}
}

// TestKeysCLI: `signalctl keys generate` writes BIND-named key pairs with
// mode 0600 that BIND's own tools read, `list` shows them with their role,
// and `retire` moves a key's files to retired/ (kept, not deleted), refusing
// the zone's last key.
func TestKeysCLI(t *testing.T) {
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dnssec]\nenabled = true\n")
	dir := in.keyDir()
	keys := func(args ...string) (int, string, string) {
		t.Helper()
		return runBin(t, "signalctl", append(append([]string{"keys"}, args...), "--config", in.cfg)...)
	}

	code, out, stderr := keys("generate")
	m := keyFileRE.FindStringSubmatch(out)
	if code != 0 || m == nil || m[2] != "013" || !strings.HasPrefix(out, filepath.Join(dir, m[1])+".key\n") || !strings.Contains(out, "DS for the parent zone") {
		t.Fatalf("keys generate: exit %d\nstdout %q\nstderr %q", code, out, stderr)
	}
	ksk, kskTag := m[1], trimTag(m[3])
	if !strings.HasPrefix(ksk, "K"+zoneOrigin+"+013+") {
		t.Fatalf("key file %s is not named K<zone>+<alg>+<tag>", ksk)
	}
	code, out, _ = keys("generate", "--zsk", "--algorithm", "ed25519")
	m = keyFileRE.FindStringSubmatch(out)
	if code != 0 || m == nil || m[2] != "015" || strings.Contains(out, "DS") {
		t.Fatalf("keys generate --zsk --algorithm ed25519: exit %d, %q; want an algorithm 15 key and no DS", code, out)
	}
	zsk, zskTag := m[1], trimTag(m[3])

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("key directory: %v %v, want mode 0700", fi, err)
	}
	files := keyFiles(t, dir)
	want := []string{ksk + ".key", ksk + ".private", zsk + ".key", zsk + ".private"}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Fatalf("key directory holds %v, want %v", files, want)
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", f, err, fi.Mode())
		}
	}
	_, out, _ = keys("list")
	for _, line := range []string{ksk + "\tKSK\ttag " + kskTag + "\talgorithm 13\n", zsk + "\tZSK\ttag " + zskTag + "\talgorithm 15\n"} {
		if !strings.Contains(out, line) {
			t.Fatalf("keys list %q lacks %q", out, line)
		}
	}
	checkDSWithBIND(t, dir, ksk, in)

	if code, _, stderr := keys("generate", "--ksk", "--zsk"); code != 2 || !strings.Contains(stderr, "exclude") {
		t.Fatalf("--ksk --zsk: exit %d, %q; want 2", code, stderr)
	}
	if code, _, _ := keys("retire"); code != 2 {
		t.Fatalf("retire without --tag: exit %d, want 2", code)
	}
	if code, _, stderr := keys("retire", "--tag", "1"); code != 1 || !strings.Contains(stderr, "no key with tag 1") {
		t.Fatalf("retire an unknown tag: exit %d, %q; want 1", code, stderr)
	}

	code, out, stderr = keys("retire", "--tag", kskTag)
	if code != 0 || !strings.Contains(out, ksk) || !strings.Contains(out, "SIGHUP") {
		t.Fatalf("retire: exit %d\nstdout %q\nstderr %q", code, out, stderr)
	}
	if files := keyFiles(t, dir); !slices.Equal(files, []string{zsk + ".key", zsk + ".private"}) {
		t.Fatalf("after retire the key directory holds %v", files)
	}
	if files := keyFiles(t, filepath.Join(dir, "retired")); !slices.Equal(files, []string{ksk + ".key", ksk + ".private"}) {
		t.Fatalf("retired/ holds %v, want the retired key's two files", files)
	}
	if _, out, _ := keys("list"); strings.Contains(out, ksk) || !strings.Contains(out, zsk) {
		t.Fatalf("keys list after retire: %q", out)
	}
	if code, _, stderr := keys("ds"); code != 1 || !strings.Contains(stderr, "no SEP key") {
		t.Fatalf("keys ds with only a ZSK left: exit %d, %q; want 1", code, stderr)
	}
	if code, _, stderr := keys("retire", "--tag", zskTag); code != 1 || !strings.Contains(stderr, "only key") {
		t.Fatalf("retire the last key: exit %d, %q; want a refusal", code, stderr)
	}
	if files := keyFiles(t, dir); len(files) != 2 {
		t.Fatalf("a refused retire moved files: %v", files)
	}
}

// checkDSWithBIND compares `signalctl keys ds` with the DS that BIND's
// dnssec-dsfromkey computes from the key file: the files are BIND's format.
func checkDSWithBIND(t *testing.T, dir, base string, in *instance) {
	t.Helper()
	dsfromkey := testtool.Path(t, "dnssec-dsfromkey")
	bind, err := exec.Command(dsfromkey, "-2", filepath.Join(dir, base+".key")).CombinedOutput()
	if err != nil {
		t.Fatalf("dnssec-dsfromkey cannot read %s: %v\n%s", base, err, bind)
	}
	tag, _ := strconv.Atoi(base[len(base)-5:])
	ours := strings.Fields(in.dsOf(t, uint16(tag)))
	theirs := strings.Fields(string(bind))
	if !slices.Equal(ours[len(ours)-4:], theirs[len(theirs)-4:]) {
		t.Fatalf("signalctl keys ds %v, BIND's dnssec-dsfromkey %v", ours, theirs)
	}
}

// trimTag turns the 5-digit tag of a key file name into the tag's number.
func trimTag(s string) string {
	n, _ := strconv.Atoi(s)
	return strconv.Itoa(n)
}
