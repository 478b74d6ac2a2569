package checkbench

import (
	"os"
	"path/filepath"
	"testing"
)

// The added block goes and what others appended meanwhile stays.
func TestHostsRestore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	orig := "127.0.0.1 localhost\n::1 localhost"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := addHosts(path, []mirror{{name: "m0.bench.test", ip: "127.1.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	added, _ := os.ReadFile(path)
	want := orig + "\n" + h.begin + "\n127.1.0.1 m0.bench.test\n" + h.end() + "\n"
	if string(added) != want {
		t.Fatalf("added:\n%s\nwant:\n%s", added, want)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("127.0.0.9 other\n")
	f.Close()
	if err := h.restore(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := orig + "\n127.0.0.9 other\n"; string(got) != want {
		t.Errorf("restored:\n%q\nwant:\n%q", got, want)
	}
	if _, err := os.Stat(h.backup); !os.IsNotExist(err) {
		t.Errorf("backup left: %v", err)
	}
}
