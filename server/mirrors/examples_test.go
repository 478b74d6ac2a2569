package mirrors

import (
	"path/filepath"
	"testing"
)

// TestExampleLoads: contrib/examples/mirrors.toml loads against the
// example signald.toml's layout, so the documented format cannot rot.
func TestExampleLoads(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "contrib", "examples", "mirrors.toml"), layout)
	if err != nil {
		t.Fatal(err)
	}
	ms := f.Mirrors()
	if len(ms) < 15 {
		t.Errorf("%d mirrors, want about 20", len(ms))
	}
	if len(f.Tier1("content")) == 0 || len(f.Repos()) == 0 {
		t.Errorf("tier-1 %d, repos %d", len(f.Tier1("content")), len(f.Repos()))
	}
	continents := map[string]bool{}
	for _, m := range ms {
		continents[m.Continent()] = true
	}
	if len(continents) < 5 {
		t.Errorf("mirrors on %d continents, want at least 5", len(continents))
	}
}
