package state

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAndAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	s, err := Load(path)
	if err != nil || len(s.Trees) != 0 {
		t.Fatalf("missing file: %v, %+v", err, s)
	}
	s.Signal = "1:2"
	s.Tree("content").LastSuccess = 1_800_000_000
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || got.Signal != "1:2" || got.Tree("content").LastSuccess != 1_800_000_000 {
		t.Fatalf("reloaded %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}

func TestLoadRefusesJunk(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"junk": "not json", "version": `{"version":9,"trees":{}}`} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := Load(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNullTreeIsForgotten(t *testing.T) {
	s, err := parse([]byte(`{"version":1,"trees":{"content":null}}`), "state.json")
	if err != nil {
		t.Fatal(err)
	}
	if tr := s.Tree("content"); tr == nil || tr.LastSuccess != 0 {
		t.Fatalf("Tree(content) = %+v", tr)
	}
}
