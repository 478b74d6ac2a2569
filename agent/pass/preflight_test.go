package pass

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/signal"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// realWorld is one tree, "content", synced by the real rsync (through the
// logging wrapper) from modules of a real rsync daemon.
type realWorld struct {
	t      *testing.T
	local  string
	up     string // module directories are up/MODULE
	stamp  int64  // the signal
	rsyncd *agenttest.Rsyncd
	wrap   *agenttest.Wrapper
	logs   *testtool.Buffer
}

// newRealWorld fills each module directory with files (name → body) and a
// TIME file holding stamps[module]; a module absent from stamps is empty.
func newRealWorld(t *testing.T, modules map[string]map[string]string, stamps map[string]int64, signalStamp int64) *realWorld {
	dir := t.TempDir()
	dirs := map[string]string{}
	for m, files := range modules {
		dirs[m] = filepath.Join(dir, "up", m)
		writeFiles(t, dirs[m], files)
		if s, ok := stamps[m]; ok {
			writeFiles(t, dirs[m], map[string]string{"TIME": string(signal.FormatTimeFile(s))})
		}
	}
	return &realWorld{t: t, local: filepath.Join(dir, "local"), up: filepath.Join(dir, "up"), stamp: signalStamp,
		rsyncd: agenttest.StartRsyncd(t, dirs), wrap: agenttest.NewWrapper(t), logs: &testtool.Buffer{}}
}

// run is one pass over the tree with the given sources (module names).
func (w *realWorld) run(share float64, modules ...string) error {
	cfg := config.Default()
	cfg.Signal.Layout = layout // only content is configured
	cfg.Sync.StateFile = filepath.Join(w.t.TempDir(), "state.json")
	cfg.Sync.MaxDeleteShare = share
	cfg.Sync.IOTimeout = config.Duration(time.Minute)
	tree := &config.Tree{Path: w.local, TimeFile: "TIME"}
	for _, m := range modules {
		tree.Sources = append(tree.Sources, w.rsyncd.URL(m))
	}
	cfg.Trees = map[string]*config.Tree{"content": tree}
	log := slog.New(slog.NewTextHandler(w.logs, nil))
	p := New(Deps{
		Config: cfg, Log: log, Now: time.Now,
		Reader: &fakeReader{records: [][]int64{{w.stamp, 0}}},
		Rsync:  &rsync.Runner{Binary: w.wrap.Path, Log: log},
		Lock:   func() (func() error, error) { return func() error { return nil }, nil },
	})
	return p.Run(context.Background())
}

// syncedFrom returns the modules of the sync runs (pre-flights left out).
func (w *realWorld) syncedFrom() []string {
	var out []string
	for _, inv := range w.wrap.Invocations(w.t) {
		src := strings.TrimSuffix(inv.Source(), "/")
		out = append(out, src[strings.LastIndex(src, "/")+1:])
	}
	return out
}

// writeLocal writes the local tree with mtimes a day old, so that rsync's
// quick check (size and mtime) sees upstream files as changed.
func (w *realWorld) writeLocal(files map[string]string) {
	writeFiles(w.t, w.local, files)
	old := time.Now().Add(-24 * time.Hour)
	for name := range files {
		if err := os.Chtimes(filepath.Join(w.local, name), old, old); err != nil {
			w.t.Fatal(err)
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every entry under root to its contents ("/" for a directory).
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// localTree is a mirror with ten packages, synced at stamp.
func localTree(stamp int64) map[string]string {
	files := map[string]string{"TIME": string(signal.FormatTimeFile(stamp))}
	for i := range 10 {
		files[fmt.Sprintf("Packages/p%d.rpm", i)] = fmt.Sprintf("package %d", i)
	}
	return files
}

const stamp0 = int64(1_800_000_000)

// TestEmptySourceLeavesTreeUntouched: an empty module (an upstream whose
// disk is not mounted) fails the pre-flight; nothing runs from it, the tree
// keeps every file and the pass exits 5.
func TestEmptySourceLeavesTreeUntouched(t *testing.T) {
	w := newRealWorld(t, map[string]map[string]string{"empty": {}}, nil, stamp0)
	w.writeLocal(localTree(stamp0 - 3600))
	before := snapshot(t, w.local)
	err := w.run(0, "empty") // the --max-delete guard off: the pre-flight alone must hold
	if got := exitcode.Code(err); got != exitcode.Behind {
		t.Fatalf("exit %d, want %d: %v", got, exitcode.Behind, err)
	}
	for _, want := range []string{w.rsyncd.URL("empty"), "no TIME file on the source"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if after := snapshot(t, w.local); !maps.Equal(before, after) {
		t.Fatalf("tree changed:\nbefore %v\nafter  %v", before, after)
	}
	if runs := w.syncedFrom(); len(runs) != 0 {
		t.Fatalf("synced from %v", runs)
	}
	if len(w.wrap.Probes(t)) != 1 {
		t.Fatalf("probes %v, want one", w.wrap.Probes(t))
	}
}

// TestStaleSourceSkippedBeforeAnyDeletion: a stale source whose tree lacks
// most packages is refused by the pre-flight before any run; the fresh one
// after it is used. A package the stale source lacks keeps its inode: it
// was never deleted and copied back.
func TestStaleSourceSkippedBeforeAnyDeletion(t *testing.T) {
	fresh := localTree(stamp0)
	fresh["Packages/new.rpm"] = "new"
	w := newRealWorld(t, map[string]map[string]string{
		"stale": {"Packages/p0.rpm": "package 0"},
		"fresh": fresh,
	}, map[string]int64{"stale": stamp0 - 60, "fresh": stamp0}, stamp0)
	w.writeLocal(localTree(stamp0 - 3600))
	keep := filepath.Join(w.local, "Packages/p9.rpm")
	sameAs(t, keep, filepath.Join(w.up, "fresh", "Packages/p9.rpm")) // fresh will not touch it
	ino := inode(t, keep)
	if err := w.run(0.5, "stale", "fresh"); err != nil {
		t.Fatal(err)
	}
	if got := w.syncedFrom(); !slices.Equal(got, []string{"fresh"}) {
		t.Fatalf("synced from %v, want only fresh", got)
	}
	if inode(t, keep) != ino {
		t.Fatal("p9.rpm was deleted and copied back: the stale source ran")
	}
	if after := snapshot(t, w.local); after["Packages/new.rpm"] != "new" || after["TIME"] != string(signal.FormatTimeFile(stamp0)) {
		t.Fatalf("tree not synced from fresh: %v", after)
	}
	if !strings.Contains(w.logs.String(), "older than 1800000000") {
		t.Errorf("log does not say why the stale source was skipped:\n%s", w.logs.String())
	}
}

// TestMaxDeleteRefusesMassDeletion: a fresh source holding two of the ten
// packages would delete 8 of the tree's 12 entries; --max-delete (half of
// 12 = 6) stops rsync, the source counts as failed, and the tree keeps at
// least the other half. rsync has put the source's TIME file in place
// (--delay-updates) before stopping; the old one is put back, so that the
// next pass sees the tree behind and tries again.
func TestMaxDeleteRefusesMassDeletion(t *testing.T) {
	w := newRealWorld(t, map[string]map[string]string{
		"gutted": {"Packages/p0.rpm": "package 0", "Packages/p1.rpm": "package 1"},
	}, map[string]int64{"gutted": stamp0}, stamp0)
	w.writeLocal(localTree(stamp0 - 3600))
	entries := len(snapshot(t, w.local)) // 10 packages, Packages/, TIME
	err := w.run(0.5, "gutted")
	if got := exitcode.Code(err); got != exitcode.Rsync {
		t.Fatalf("exit %d, want %d: %v", got, exitcode.Rsync, err)
	}
	if !strings.Contains(err.Error(), "would delete more than 50% of the tree") {
		t.Errorf("error %q does not say the run was refused", err)
	}
	if left := len(snapshot(t, w.local)); left < entries-deleteLimit(entries, 0.5) {
		t.Fatalf("%d of %d entries left: more than the limit deleted", left, entries)
	}
	if inv := w.wrap.Invocations(t); len(inv) != 1 || !inv[0].Has(fmt.Sprintf("--max-delete=%d", entries/2)) {
		t.Fatalf("sync runs %v, want one with --max-delete=%d", inv, entries/2)
	}
	if got, want := snapshot(t, w.local)["TIME"], string(signal.FormatTimeFile(stamp0-3600)); got != want {
		t.Fatalf("TIME after the refused run is %q, want the old %q: the next pass would see the tree up to date", got, want)
	}
	w.run(0.5, "gutted") // the outcome depends on what the first run deleted
	if inv := w.wrap.Invocations(t); len(inv) != 2 {
		t.Fatalf("sync runs %v: the next pass did not sync the tree again", inv)
	}
}

// sameAs gives path the mtime of like, so that rsync's quick check skips it.
func sameAs(t *testing.T, path, like string) {
	t.Helper()
	fi, err := os.Stat(like)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
