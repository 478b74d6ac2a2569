// Package systemd holds the systemd units shipped in contrib/systemd. Its
// test checks them with systemd-analyze, so that they cannot rot: every unit
// must pass `verify` without a single message, and every service must keep
// `security` exposure at or below maxExposure.
//
// Both run against a temporary root (--root) rather than the host: it holds
// the units, a copy of the host's systemd system units (the targets and
// slices the units depend on) and an empty executable at every path the
// units execute (/usr/local/bin/signald, …). So verify checks the units
// themselves, on a machine where the binaries are not installed and where
// systemd need not be running, and host drop-ins cannot change the score.
package systemd

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// maxExposure is the highest `systemd-analyze security` score a shipped
// service may have (0 = fully confined, 10 = unconfined; "OK" ends at 3.9).
const maxExposure = 3.0

var (
	units    = []string{"mirror-agent.service", "mirror-agent.timer", "signald.service"}
	services = []string{"mirror-agent.service", "signald.service"}

	exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9]+\.[0-9]+)`)
	execRE     = regexp.MustCompile(`^Exec[A-Za-z]*=(.*)$`)
)

func TestVerify(t *testing.T) {
	analyze := testtool.Path(t, "systemd-analyze")
	root := unitRoot(t)
	args := append([]string{"verify", "--root=" + root, "--man=no"}, units...)
	out, err := exec.Command(analyze, args...).CombinedOutput()
	// verify exits 0 on warnings (an unknown key, a bad value it ignores),
	// so any output at all is a failure.
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestSecurity(t *testing.T) {
	analyze := testtool.Path(t, "systemd-analyze")
	root := unitRoot(t)
	for _, unit := range services {
		t.Run(unit, func(t *testing.T) {
			out, err := exec.Command(analyze, "security", "--offline=true", "--root="+root,
				"--no-pager", unit).CombinedOutput()
			if err != nil {
				t.Fatalf("systemd-analyze security %s: %v\n%s", unit, err, out)
			}
			score, err := exposure(string(out), unit)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			t.Logf("%s: exposure %.1f", unit, score)
			if score > maxExposure {
				t.Errorf("%s: exposure %.1f, want at most %.1f; what is open:\n%s",
					unit, score, maxExposure, openItems(string(out)))
			}
		})
	}
}

// TestSettings holds the settings the units' behaviour rests on and that
// neither verify nor the exposure score would miss: the agent is a oneshot
// whose rsync dies with it and which may write its state, logs and trees;
// signald may bind port 53 and reads its configuration where it says.
func TestSettings(t *testing.T) {
	want := map[string][]string{
		"mirror-agent.service": {
			"Type=oneshot",
			"KillMode=control-group",
			"ExecStart=/usr/local/bin/mirror-agent trigger -config /etc/mirror-agent/agent.toml -stderr-level info",
			"ProtectSystem=strict",
			"StateDirectory=mirror-agent",
			"LogsDirectory=mirror-agent",
			"ReadWritePaths=/srv/mirror",
			"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		},
		"mirror-agent.timer": {"OnUnitActiveSec=10min", "RandomizedDelaySec=5min"},
		"signald.service": {
			"ExecStart=/usr/local/bin/signald -config /etc/mirrorsignal/signald.toml",
			"ExecReload=/bin/kill -HUP $MAINPID",
			"Restart=on-failure",
			"ProtectSystem=strict",
			"StateDirectory=signald",
			"ConfigurationDirectory=mirrorsignal",
			"CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
			"AmbientCapabilities=CAP_NET_BIND_SERVICE",
			"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		},
	}
	for unit, settings := range want {
		t.Run(unit, func(t *testing.T) {
			data, err := os.ReadFile(unit)
			if err != nil {
				t.Fatal(err)
			}
			lines := map[string]bool{}
			for line := range strings.Lines(string(data)) {
				lines[strings.TrimSpace(line)] = true
			}
			for _, s := range settings {
				if !lines[s] {
					t.Errorf("%s lacks the line %q", unit, s)
				}
			}
		})
	}
}

// exposure parses the "Overall exposure level for UNIT: N.N" line.
func exposure(out, unit string) (float64, error) {
	m := exposureRE.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no \"Overall exposure level\" line for %s", unit)
	}
	if m[1] != unit {
		return 0, fmt.Errorf("exposure line names %s, want %s", m[1], unit)
	}
	return strconv.ParseFloat(m[2], 64)
}

// openItems returns the lines of the security table that count against the
// unit (marked ✗).
func openItems(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "✗") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// unitRoot builds the temporary root that systemd-analyze runs against.
func unitRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	copySystemUnits(t, root)
	for _, unit := range units {
		data, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, unit), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, prog := range executables(t, unit, string(data)) {
			stub(t, filepath.Join(root, prog))
		}
	}
	return root
}

// copySystemUnits copies the host's systemd system units (from the package
// that provides systemd-analyze) to the same place under root.
func copySystemUnits(t *testing.T, root string) {
	t.Helper()
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(real, "sysinit.target")); err != nil {
			continue
		}
		if err := copyTree(real, filepath.Join(root, "usr/lib/systemd/system")); err != nil {
			t.Fatalf("copy %s: %v", real, err)
		}
		return
	}
	testtool.Missing(t, "no systemd system units (sysinit.target) in /usr/lib/systemd/system or /lib/systemd/system")
}

// copyTree copies regular files, directories and symbolic links (as links).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o644)
		}
		return nil
	})
}

// executables returns the absolute program paths of a unit's Exec*= lines,
// without the prefixes (-, @, :, +, !) systemd allows before them.
func executables(t *testing.T, unit, text string) []string {
	t.Helper()
	var progs []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		m := execRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		fields := strings.Fields(strings.TrimLeft(m[1], "-@:+!"))
		if len(fields) == 0 {
			continue
		}
		if !filepath.IsAbs(fields[0]) {
			t.Fatalf("%s: %q: use an absolute program path", unit, sc.Text())
		}
		progs = append(progs, fields[0])
	}
	return progs
}

// stub creates an empty executable at path.
func stub(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
