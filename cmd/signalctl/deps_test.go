package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoDatabase keeps signalctl free of signald's internals: no
// SQLite driver, no store, no agent in its dependencies.
func TestLinksNoDatabase(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/mirrorsignal/mirrorsignal/"
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "sqlite") || pkg == mod+"server/store" || strings.HasPrefix(pkg, mod+"agent") {
			t.Errorf("signalctl depends on %s", pkg)
		}
	}
}
