package advice

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the handler (not its tests) off agent/, the store and
// DNS code, as doc.go says.
func TestImports(t *testing.T) {
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
		if strings.HasPrefix(pkg, mod+"agent") || pkg == mod+"server/store" || strings.Contains(pkg, "miekg/dns") {
			t.Errorf("advice depends on %s", pkg)
		}
	}
}
