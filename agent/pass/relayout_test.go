package pass

import (
	"context"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/query"
)

// mismatchReader is a fakeReader whose `_trees` check fails with err.
type mismatchReader struct {
	fakeReader
	layoutErr error
	checks    int
}

func (m *mismatchReader) CheckLayout(context.Context) error {
	m.checks++
	return m.layoutErr
}

// TestLayoutCheckedBeforeARetriedSync: the record is the one the last pass
// saw (its sync failed), so reading it checked no layout; the layout is
// still checked before the signal drives a sync, and a mismatch stops it.
func TestLayoutCheckedBeforeARetriedSync(t *testing.T) {
	base := int64(1_800_000_000)
	rd := &mismatchReader{fakeReader: fakeReader{records: [][]int64{{base, 0}}}}
	rs := &fakeRsync{fail: map[string]bool{"content::a": true, "content::b": true}}
	p, _ := setup(t, nil, rs)
	p.d.Reader = rd
	if err := p.Run(context.Background()); exitcode.Code(err) != exitcode.Rsync {
		t.Fatalf("first pass: %v, want the rsync failure", err)
	}
	rd.layoutErr, rd.checks = query.ErrLayoutMismatch, 0
	probes := len(rs.probes)
	err := p.Run(context.Background())
	if exitcode.Code(err) != exitcode.Config || rd.checks != 1 || len(rs.probes) != probes {
		t.Fatalf("retry with a mismatched layout: %v (exit %d), %d layout checks, %d new pre-flights; want exit %d, 1 check, none",
			err, exitcode.Code(err), rd.checks, len(rs.probes)-probes, exitcode.Config)
	}
}

// TestLayoutCheckIsNotARound: checking the layout before a retried sync
// does not use up one of sync.max_rounds.
func TestLayoutCheckIsNotARound(t *testing.T) {
	base := int64(1_800_000_000)
	// pass one reads base twice; pass two reads it again (no layout check), then the signal moves
	rd := &fakeReader{records: [][]int64{{base, 0}, {base, 0}, {base, 0}, {base + 1, 0}, {base + 2, 0}, {base + 3, 0}}}
	rs := &fakeRsync{upstream: map[string]int64{}}
	p, cfg := setup(t, rd, rs)
	cfg.Sync.MaxRounds = 2
	if err := p.Run(context.Background()); exitcode.Code(err) != exitcode.Behind {
		t.Fatalf("first pass: %v, want upstream behind", err) // no TIME upstream: nothing synced
	}
	rs.upstream["content::a"] = base
	rs.onRun = func() { rs.upstream["content::a"]++ } // upstream moves on as every sync ends
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rs.runs) != 2 {
		t.Fatalf("%d rsync runs, want 2 (max_rounds): %v", len(rs.runs), rs.runs)
	}
}
