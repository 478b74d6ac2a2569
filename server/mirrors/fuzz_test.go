package mirrors

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any bytes either parse into a fleet that validates again, or
// give errors that are all *Errors naming the file; never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{minimal, full, entry(ok) + repoOK, "mirror = [{name = \"x\", country = \"DE\", trees = {vault = {http = \"http://x\"}}}]"} {
		f.Add([]byte(seed))
	}
	if b, err := os.ReadFile(filepath.Join("..", "..", "contrib", "examples", "mirrors.toml")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fleet, err := Parse("fuzz.toml", data, layout)
		if err != nil {
			for _, e := range unjoin(err) {
				var me *Error
				if !errors.As(e, &me) || me.File != "fuzz.toml" {
					t.Fatalf("%v is not an *Error naming fuzz.toml", e)
				}
			}
			return
		}
		if err := fleet.Validate(); err != nil {
			t.Fatalf("parsed fleet does not validate again: %v", err)
		}
		for _, m := range fleet.Mirrors() {
			for _, tree := range m.Trees() {
				if _, ok := m.TimeURL(tree, HTTPS, "TIME"); !ok && m.URLs(tree).HTTPS != "" {
					t.Fatalf("%s: no TIME URL for %s over https", m.Name(), tree)
				}
			}
		}
	})
}
