package pass

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestSavedTimeRestore: restore undoes what a failed run did to the TIME
// file: the old content and mode come back, a TIME file the run created
// goes, and something that is not a regular file is left alone.
func TestSavedTimeRestore(t *testing.T) {
	write := func(body string, mode os.FileMode) func(string) error {
		return func(p string) error { return os.WriteFile(p, []byte(body), mode) }
	}
	tests := []struct {
		name   string
		before func(path string) error // nil: no TIME file
		run    func(path string) error // what the failed run did
		want   string                  // content after restore, when mode is set
		mode   os.FileMode             // 0: no regular file after restore
	}{
		{name: "old file back with its mode", before: write("1\n", 0o640), run: write("2\n", 0o644), want: "1\n", mode: 0o640},
		{name: "old file back after the run removed it", before: write("1\n", 0o644), run: os.Remove, want: "1\n", mode: 0o644},
		{name: "empty old file stays a file", before: write("", 0o600), run: write("2\n", 0o644), want: "", mode: 0o600},
		{name: "new file removed", run: write("2\n", 0o644)},
		{name: "nothing created", run: func(string) error { return nil }},
		{name: "directory before: the new file is removed", before: func(p string) error { return os.Mkdir(p, 0o755) },
			run: func(p string) error {
				if err := os.Remove(p); err != nil {
					return err
				}
				return write("2\n", 0o644)(p)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "TIME")
			if tc.before != nil {
				if err := tc.before(p); err != nil {
					t.Fatal(err)
				}
			}
			s, err := saveTime(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.run(p); err != nil {
				t.Fatal(err)
			}
			if err := s.restore(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(p)
			if tc.mode == 0 {
				if err == nil && fi.Mode().IsRegular() {
					t.Fatal("a regular TIME file is left after restore, want none")
				}
				return
			}
			got, rerr := os.ReadFile(p)
			if err != nil || rerr != nil || string(got) != tc.want || fi.Mode().Perm() != tc.mode {
				t.Fatalf("after restore %q %v (%v, %v); want %q %v", got, fi.Mode(), err, rerr, tc.want, tc.mode)
			}
		})
	}
	t.Run("directory now is kept", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "TIME")
		s, _ := saveTime(p)
		os.Mkdir(p, 0o755)
		if err := s.restore(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			t.Fatalf("directory not kept: %v, %v", fi, err)
		}
	})
}

// failingRsync writes the source's TIME file in every full run, as rsync
// --delay-updates does, then fails as rsync stopped by --max-delete.
type failingRsync struct{ fakeRsync }

func (f *failingRsync) Run(ctx context.Context, j rsync.Job) error {
	if err := f.fakeRsync.Run(ctx, j); err != nil || j.Stage != rsync.Full {
		return err
	}
	return &rsync.ExitError{Code: rsync.MaxDeleteReached, Reason: "the --max-delete limit stopped deletions"}
}

// TestFailedRunRestoresTime: after each source's full run fails, the tree's
// TIME is the old one again, also when there was none (a first sync) and
// with two stages; the tree is still behind.
func TestFailedRunRestoresTime(t *testing.T) {
	base := int64(1_800_000_000)
	for _, tc := range []struct {
		name     string
		old      []byte // nil: no TIME file
		twoStage bool
	}{
		{"old TIME", signal.FormatTimeFile(base - 60), false},
		{"old TIME, two stages", signal.FormatTimeFile(base - 60), true},
		{"first sync", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := &failingRsync{fakeRsync{upstream: map[string]int64{"content::a": base, "content::b": base}}}
			p, cfg := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, &rs.fakeRsync)
			p.d.Rsync = rs
			tree := cfg.Trees["content"]
			tree.TwoStage = tc.twoStage
			timePath := filepath.Join(tree.Path, tree.TimeFile)
			if tc.old != nil {
				if err := os.WriteFile(timePath, tc.old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := p.Run(context.Background())
			if got := exitcode.Code(err); got != exitcode.Rsync {
				t.Fatalf("exit %d, want %d: %v", got, exitcode.Rsync, err)
			}
			if want := 2 * (1 + btoi(tc.twoStage)); len(rs.runs) != want {
				t.Fatalf("runs %v, want %d", rs.runs, want)
			}
			got, err := os.ReadFile(timePath)
			switch {
			case tc.old == nil && !os.IsNotExist(err):
				t.Fatalf("TIME file %q, %v left by the failed first sync", got, err)
			case tc.old != nil && string(got) != string(tc.old):
				t.Fatalf("TIME %q, %v; want the old %q", got, err, tc.old)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestUnreadableTimeRunsNothing: when the TIME file cannot be saved (here
// the tree's path is a file), no rsync runs: a failure could not be undone.
func TestUnreadableTimeRunsNothing(t *testing.T) {
	base := int64(1_800_000_000)
	rs := &fakeRsync{upstream: map[string]int64{"content::a": base, "content::b": base}}
	p, cfg := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, rs)
	tree := cfg.Trees["content"]
	os.Remove(tree.Path)
	if err := os.WriteFile(tree.Path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := p.Run(context.Background())
	if got := exitcode.Code(err); got != exitcode.Rsync {
		t.Fatalf("exit %d, want %d: %v", got, exitcode.Rsync, err)
	}
	if len(rs.runs) != 0 {
		t.Fatalf("rsync ran: %v", rs.runs)
	}
}
