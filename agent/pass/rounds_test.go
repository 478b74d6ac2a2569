package pass

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// layoutCounter is a fakeReader that counts the `_trees` queries.
type layoutCounter struct {
	fakeReader
	checks int
}

func (l *layoutCounter) CheckLayout(context.Context) error {
	l.checks++
	return nil
}

func writeTime(t *testing.T, dir string, stamp int64) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "TIME"), signal.FormatTimeFile(stamp), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLayoutCheckedWhenTheRecordChanges: an up-to-date pass queries
// `_trees` only when the record differs from the last pass's.
func TestLayoutCheckedWhenTheRecordChanges(t *testing.T) {
	base := int64(1_800_000_000)
	rd := &layoutCounter{fakeReader: fakeReader{records: [][]int64{{base, 0}, {base, 0}, {base + 5, 0}}}}
	rs := &fakeRsync{}
	p, cfg := setup(t, nil, rs)
	p.d.Reader = rd
	writeTime(t, cfg.Trees["content"].Path, base+10) // never behind
	for i, want := range []int{1, 1, 2} {
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rd.checks != want {
			t.Fatalf("pass %d: %d layout checks in all, want %d", i+1, rd.checks, want)
		}
	}
	if len(rs.runs)+len(rs.probes) != 0 {
		t.Fatalf("up-to-date passes ran rsync: %v %v", rs.probes, rs.runs)
	}
}

// TestUnmovedSignalEndsThePass: when every source fails and the signal has
// not moved, the pass ends after one round; it does not retry the same
// sources up to sync.max_rounds.
func TestUnmovedSignalEndsThePass(t *testing.T) {
	base := int64(1_800_000_000)
	rd := &fakeReader{records: [][]int64{{base, 0}}}
	rs := &fakeRsync{fail: map[string]bool{"content::a": true, "content::b": true}}
	p, cfg := setup(t, rd, rs)
	cfg.Sync.MaxRounds = 3
	if err := p.Run(context.Background()); exitcode.Code(err) != exitcode.Rsync {
		t.Fatalf("exit %d (%v), want %d", exitcode.Code(err), err, exitcode.Rsync)
	}
	if len(rs.probes) != 2 || rd.reads != 2 {
		t.Fatalf("%d pre-flights and %d signal reads, want 2 and 2 (one round, one re-query)", len(rs.probes), rd.reads)
	}
}

// fakeCheckin records the check-ins.
type fakeCheckin struct {
	sent []map[string]int64
	err  error
}

func (f *fakeCheckin) Send(_ context.Context, _ string, trees map[string]int64) error {
	f.sent = append(f.sent, maps.Clone(trees))
	return f.err
}

// TestCheckinAfterASync: a pass that synced reports the local stamps of all
// trees once; a pass that synced nothing sends nothing; a failed check-in
// does not fail the pass.
func TestCheckinAfterASync(t *testing.T) {
	base := int64(1_800_000_000)
	rs := &fakeRsync{upstream: map[string]int64{"content::a": base}}
	p, _ := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, rs)
	ci := &fakeCheckin{err: errors.New("server unreachable")}
	p.d.Checkin = ci
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ci.sent) != 1 || !maps.Equal(ci.sent[0], map[string]int64{"content": base, "vault": 0}) {
		t.Fatalf("check-ins %v, want one with content at %d", ci.sent, base)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ci.sent) != 1 {
		t.Fatalf("an up-to-date pass checked in: %v", ci.sent)
	}
}
