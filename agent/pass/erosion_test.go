package pass

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestLeftToDelete(t *testing.T) {
	tests := []struct {
		name                    string
		baseline, entries, want int
		share                   float64
	}{
		{"nothing deleted yet", 12, 12, 6, 0.5},
		{"half used", 12, 9, 3, 0.5},
		{"all used", 12, 6, 0, 0.5},
		{"more gone than the share", 12, 2, 0, 0.5},
		{"tree grew since", 12, 14, 8, 0.5},
		{"rounded as deleteLimit", 13, 13, 6, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := leftToDelete(tc.baseline, tc.entries, tc.share); got != tc.want {
				t.Fatalf("leftToDelete(%d, %d, %v) = %d, want %d", tc.baseline, tc.entries, tc.share, got, tc.want)
			}
		})
	}
}

// guardRsync fails every full run with code (0 = succeed as fakeRsync) and
// records what each full run was allowed to delete.
type guardRsync struct {
	fakeRsync
	code   int
	limits []int
	none   []bool // the run carried noDeletions
}

func (f *guardRsync) Run(ctx context.Context, j rsync.Job) error {
	if j.Stage == rsync.Full {
		f.limits = append(f.limits, j.MaxDelete)
		f.none = append(f.none, slices.Contains(j.Options, noDeletions))
		if f.code != 0 {
			return &rsync.ExitError{Code: f.code}
		}
	}
	return f.fakeRsync.Run(ctx, j)
}

// TestDeleteBaselineInState: only a run refused by --max-delete records the
// baseline, a later refusal keeps the first one, the limit is what is left
// of its share (none at all once spent), and a sync clears it. The tree has
// 11 entries: p/ and ten files.
func TestDeleteBaselineInState(t *testing.T) {
	tests := []struct {
		name          string
		share         float64
		baseline      int // in the state file before the pass
		code          int // of the full run
		limit         int
		none          bool
		afterBaseline int
	}{
		{"other failure records nothing", 0.5, 0, 10, 5, false, 0},
		{"first refusal records the entries", 0.5, 0, rsync.MaxDeleteReached, 5, false, 11},
		{"later refusal keeps the first baseline", 0.5, 16, rsync.MaxDeleteReached, 3, false, 16},
		{"spent: a run that deletes nothing", 0.5, 30, rsync.MaxDeleteReached, 0, true, 30},
		{"sync clears the baseline", 0.5, 30, 0, 0, true, 0},
		{"guard off ignores the baseline", 0, 30, 0, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := int64(1_800_000_000)
			rs := &guardRsync{fakeRsync: fakeRsync{upstream: map[string]int64{"content::a": base}}, code: tc.code}
			p, cfg := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, &rs.fakeRsync)
			p.d.Rsync = rs
			delete(cfg.Trees, "vault")
			cfg.Sync.MaxDeleteShare = tc.share
			tree := cfg.Trees["content"]
			tree.Sources = []string{"content::a"}
			for i := range 10 {
				writeFiles(t, tree.Path, map[string]string{fmt.Sprintf("p/%d", i): "x"})
			}
			st := state.New()
			st.Tree("content").DeleteBaseline = tc.baseline
			if err := state.Save(cfg.Sync.StateFile, st); err != nil {
				t.Fatal(err)
			}
			err := p.Run(context.Background())
			if (err == nil) != (tc.code == 0) {
				t.Fatalf("Run: %v", err)
			}
			if !slices.Equal(rs.limits, []int{tc.limit}) || !slices.Equal(rs.none, []bool{tc.none}) {
				t.Fatalf("full runs: --max-delete %v, no deletions %v; want [%d], [%v]", rs.limits, rs.none, tc.limit, tc.none)
			}
			st, lerr := state.Load(cfg.Sync.StateFile)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if got := st.Tree("content").DeleteBaseline; got != tc.afterBaseline {
				t.Fatalf("baseline after the pass %d, want %d (%v)", got, tc.afterBaseline, err)
			}
		})
	}
}

// runKeeping is one pass, like run, but keeping the state in stateFile
// from one pass to the next, as cron's passes do.
func (w *realWorld) runKeeping(stateFile string, share float64, modules ...string) error {
	cfg := config.Default()
	cfg.Signal.Layout = layout
	cfg.Sync.StateFile = stateFile
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

// TestMaxDeleteDoesNotErode: a source that would delete 10 of the tree's
// 12 entries (all the packages) is refused by --max-delete=6 after rsync
// has deleted up to 6. The passes that retry it must not count the smaller
// tree and delete half of that again: with the 12 entries from before the
// first refusal kept in the state, the share is spent, they run with no
// deletions allowed and are refused (exit 4, telling the operator what to
// do). Throughout, the old TIME file stays. Once the source holds the full
// tree again, the next pass syncs and clears the baseline.
func TestMaxDeleteDoesNotErode(t *testing.T) {
	w := newRealWorld(t, map[string]map[string]string{"src": {}}, map[string]int64{"src": stamp0}, stamp0)
	if err := os.MkdirAll(filepath.Join(w.up, "src", "Packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.writeLocal(localTree(stamp0 - 3600))
	stateFile := filepath.Join(t.TempDir(), "state.json")
	entries := len(snapshot(t, w.local)) // 10 packages, Packages/, TIME
	oldTime := string(signal.FormatTimeFile(stamp0 - 3600))

	err := w.runKeeping(stateFile, 0.5, "src")
	w.checkRefused(t, 1, err, "would delete more than 50% of the tree (--max-delete=6 of 12 entries)", "--max-delete=6")
	after1 := snapshot(t, w.local)
	if len(after1) < entries-6 || after1["TIME"] != oldTime {
		t.Fatalf("pass 1 left %d of %d entries, TIME %q: %v", len(after1), entries, after1["TIME"], after1)
	}
	checkBaseline(t, stateFile, entries)

	for pass := 2; pass <= 3; pass++ {
		err := w.runKeeping(stateFile, 0.5, "src")
		if after := snapshot(t, w.local); !maps.Equal(after, after1) {
			t.Fatalf("pass %d deleted more (%d entries left):\nafter pass 1 %v\nnow          %v", pass, len(after), after1, after)
		}
		w.checkRefused(t, pass, err, "tree content: refused", noDeletions)
		for _, want := range []string{"down from 12 entries", "at most 50% may go", "operator", `trees."content"`, stateFile} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("pass %d: error %q does not say %q", pass, err, want)
			}
		}
		checkBaseline(t, stateFile, entries)
	}

	fixed := localTree(stamp0 + 60)
	writeFiles(t, filepath.Join(w.up, "src"), fixed)
	w.stamp = stamp0 + 60
	if err := w.runKeeping(stateFile, 0.5, "src"); err != nil {
		t.Fatalf("pass with the source fixed: %v", err)
	}
	if after := snapshot(t, w.local); len(after) != entries || after["TIME"] != fixed["TIME"] {
		t.Fatalf("tree not synced from the fixed source: %v", after)
	}
	checkBaseline(t, stateFile, 0)
}

// checkRefused checks the pass was refused by --max-delete (exit 4), saying
// msg, and that its last sync run carried the option arg.
func (w *realWorld) checkRefused(t *testing.T, pass int, err error, msg, arg string) {
	t.Helper()
	if got := exitcode.Code(err); got != exitcode.Rsync {
		t.Fatalf("pass %d: exit %d, want %d: %v", pass, got, exitcode.Rsync, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("pass %d: error %q does not say %q", pass, err, msg)
	}
	inv := w.wrap.Invocations(t)
	if len(inv) != pass || !inv[pass-1].Has(arg) {
		t.Fatalf("pass %d: sync runs %v, want %d, the last with %s", pass, inv, pass, arg)
	}
}

func checkBaseline(t *testing.T, stateFile string, want int) {
	t.Helper()
	st, err := state.Load(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Tree("content").DeleteBaseline; got != want {
		t.Fatalf("delete_baseline %d, want %d", got, want)
	}
}

// TestRestoreKeepsMtime: the TIME file put back after a failed run keeps
// its mtime, so that rsync's quick check (size, mtime to the second) cannot
// take it for the source's new TIME of the same size written in the same
// second, and the next sync replaces it.
func TestRestoreKeepsMtime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "TIME")
	old := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	if err := os.WriteFile(path, signal.FormatTimeFile(stamp0-3600), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	saved, err := saveTime(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, signal.FormatTimeFile(stamp0), 0o644); err != nil { // the run's TIME
		t.Fatal(err)
	}
	if err := saved.restore(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.ModTime().Equal(old) {
		t.Fatalf("restored TIME: %v, mtime %v, want %v", err, fi.ModTime(), old)
	}
}
