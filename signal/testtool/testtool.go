// Package testtool finds the real programs that tests drive (dig, rsync,
// nsd, …). A test whose program is missing is skipped with a clear message,
// except under CI=true, where a missing program fails the test: CI must never
// pass by skipping. It imports only the standard library and testing.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Require returns the path of each named program, in order. When one is
// missing it skips the test, or fails it under CI.
func Require(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, 0, len(names))
	for _, name := range names {
		p, err := lookPath(name)
		if err != nil {
			Missing(t, name+" is not installed (run `make test` as root to install the test packages)")
		}
		paths = append(paths, p)
	}
	return paths
}

// lookPath finds name on PATH, then in the sbin directories where Debian
// puts servers (nsd, knotd, unbound, sshd), which a non-root PATH lacks.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p, e := exec.LookPath(dir + "/" + name); e == nil {
			return p, nil
		}
	}
	return "", err
}

// Path is Require for one program.
func Path(t testing.TB, name string) string {
	t.Helper()
	return Require(t, name)[0]
}

// Missing skips the test with reason, or fails it under CI.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: %s", reason)
	}
	t.Skip(reason)
}
