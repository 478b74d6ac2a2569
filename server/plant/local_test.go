package plant_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/plant"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestLocal(t *testing.T) {
	old := syscall.Umask(0o077) // the mode must not depend on the umask
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := plant.Local(dir)
	for _, stamp := range []int64{1488372781, 1488372790} {
		if err := p.Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp)); err != nil {
			t.Fatal(err)
		}
		assertStamp(t, filepath.Join(dir, "TIME"), stamp)
	}
	fi, err := os.Stat(filepath.Join(dir, "TIME"))
	if err != nil || fi.Mode().Perm() != plant.Mode {
		t.Fatalf("mode %v, %v; want %v", fi.Mode(), err, os.FileMode(plant.Mode))
	}
	assertOnly(t, dir, "TIME")
	if p.String() != dir {
		t.Errorf("String() = %q", p.String())
	}
}

func TestLocalRefuses(t *testing.T) {
	dir := t.TempDir()
	p := plant.Local(dir)
	for _, name := range badNames {
		if err := p.Plant(t.Context(), name, []byte("1\n")); !errors.Is(err, plant.ErrBadName) {
			t.Errorf("Plant(%q) = %v, want ErrBadName", name, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Plant(ctx, "TIME", []byte("1\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Plant = %v", err)
	}
	assertOnly(t, dir)
}

var badNames = []string{"", ".", "..", "a/b", "../TIME", "/TIME", `a\b`, "TI\x00ME"}

func TestCheckName(t *testing.T) {
	for _, name := range []string{"TIME", ".mirrorsignal-heartbeat", "lastsync", "a..b"} {
		if err := plant.CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
	for _, name := range badNames {
		if err := plant.CheckName(name); !errors.Is(err, plant.ErrBadName) {
			t.Errorf("CheckName(%q) = %v, want ErrBadName", name, err)
		}
	}
}

// assertStamp checks that the file at path is a TIME file holding stamp.
func assertStamp(t *testing.T, path string, stamp int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(signal.FormatTimeFile(stamp)) {
		t.Fatalf("%s = %q, want %d", path, data, stamp)
	}
}

// assertOnly checks that dir holds exactly names (no temp files).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %q, want %q", dir, got, names)
		}
	}
}
