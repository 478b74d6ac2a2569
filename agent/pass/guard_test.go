package pass

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestDeleteLimit(t *testing.T) {
	tests := []struct {
		name    string
		entries int
		share   float64
		want    int
	}{
		{"half of 12", 12, 0.5, 6},
		{"rounded down", 13, 0.5, 6},
		{"at least one", 1, 0.5, 1},
		{"empty tree: first sync, no limit", 0, 0.5, 0},
		{"guard off", 1000, 0, 0},
		{"whole tree", 10, 1, 10},
		{"a tenth", 1_000_000, 0.1, 100_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := deleteLimit(tc.entries, tc.share); got != tc.want {
				t.Fatalf("deleteLimit(%d, %v) = %d, want %d", tc.entries, tc.share, got, tc.want)
			}
		})
	}
}

func TestCountEntries(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"TIME": "1", "a/b/c.rpm": "c", "a/d.rpm": "d",
		rsync.DelayDir + "/x": "staged", "a/" + rsync.DelayDir + "/y": "staged",
	})
	os.Symlink("a/d.rpm", filepath.Join(root, "link"))
	n, err := countEntries(root) // TIME, a, a/b, a/b/c.rpm, a/d.rpm, link
	if err != nil || n != 6 {
		t.Fatalf("countEntries = %d, %v; want 6", n, err)
	}
	if n, err := countEntries(filepath.Join(root, "missing")); err != nil || n != 0 {
		t.Fatalf("missing tree: %d, %v", n, err)
	}
}

// maxDeleteRsync records the --max-delete of each full run.
type maxDeleteRsync struct {
	fakeRsync
	limits []int
}

func (f *maxDeleteRsync) Run(ctx context.Context, j rsync.Job) error {
	if j.Stage == rsync.Full {
		f.limits = append(f.limits, j.MaxDelete)
	}
	return f.fakeRsync.Run(ctx, j)
}

// TestFullRunCarriesMaxDelete: the full stage gets half the tree's entries
// (or the tree's own share), stage one none, a first sync no limit.
func TestFullRunCarriesMaxDelete(t *testing.T) {
	quarter := 0.25
	tests := []struct {
		name     string
		files    int      // files in p/: the tree has files+1 entries
		share    *float64 // per-tree override
		twoStage bool
		want     int
	}{
		{"first sync: empty tree", 0, nil, false, 0},
		{"half of 10 entries", 9, nil, false, 5},
		{"two-stage, counted before stage one", 9, nil, true, 5},
		{"tree override", 9, &quarter, false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &maxDeleteRsync{fakeRsync: fakeRsync{upstream: map[string]int64{"content::a": 1_800_000_000}}}
			p, cfg := setup(t, &fakeReader{records: [][]int64{{1_800_000_000, 0}}}, &rs.fakeRsync)
			p.d.Rsync = rs
			tree := cfg.Trees["content"]
			tree.TwoStage, tree.MaxDeleteShare = tc.twoStage, tc.share
			for i := range tc.files {
				writeFiles(t, tree.Path, map[string]string{filepath.Join("p", string(rune('a'+i))): "x"})
			}
			if err := p.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rs.limits) != 1 || rs.limits[0] != tc.want {
				t.Fatalf("--max-delete of the full runs %v, want [%d]", rs.limits, tc.want)
			}
		})
	}
}

// TestMaxIntervalNeverRollsBack: with the signal unknown, the unconditional
// sync needs a source at least as new as the local TIME.
func TestMaxIntervalNeverRollsBack(t *testing.T) {
	local := int64(1_800_000_000)
	tests := []struct {
		name     string
		upstream map[string]int64
		runs     []string
		behind   bool
	}{
		{"older source skipped", map[string]int64{"content::a": local - 1, "content::b": local}, []string{"content::b"}, false},
		{"no source as new", map[string]int64{"content::a": local - 1, "content::b": local - 2}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &fakeRsync{upstream: tc.upstream}
			p, cfg := setup(t, &fakeReader{err: errors.New("dns down")}, rs)
			delete(cfg.Trees, "vault")
			os.WriteFile(filepath.Join(cfg.Trees["content"].Path, "TIME"), signal.FormatTimeFile(local), 0o644)
			now := time.Now()
			p.d.Now = func() time.Time { return now }
			p.Run(context.Background()) // the tree is first seen: not due yet
			now = now.Add(cfg.Sync.MaxInterval.D())
			err := p.Run(context.Background())
			if !slices.Equal(rs.probes, []string{"content::a", "content::b"}) || !slices.Equal(rs.runs, tc.runs) {
				t.Fatalf("probes %v, runs %v; want runs %v", rs.probes, rs.runs, tc.runs)
			}
			if got := strings.Contains(fmt.Sprint(err), "upstream still behind"); got != tc.behind {
				t.Fatalf("error %v", err)
			}
		})
	}
}
