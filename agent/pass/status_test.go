package pass

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/state"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestStatus: `mirror-agent status` says, per tree, whether the local TIME
// is behind the signal and whether the max-interval sync is due (only for
// a tree that synced once), and changes nothing.
func TestStatus(t *testing.T) {
	base := int64(1_800_000_000)
	now := time.Unix(base+100_000, 0)
	tests := []struct {
		name        string
		local       int64 // 0: no TIME file
		signal      int64
		lastSuccess int64
		sigErr      error
		behind, due bool
	}{
		{"behind", base - 1, base, now.Unix() - 60, nil, true, false},
		{"at the signal", base, base, now.Unix() - 60, nil, false, false},
		{"ahead of the signal", base + 1, base, now.Unix() - 60, nil, false, false},
		{"never synced", 0, base, 0, nil, true, false},
		{"due at max_interval", base, base, now.Unix() - 24*3600, nil, false, true},
		{"a second before max_interval", base, base, now.Unix() - 24*3600 + 1, nil, false, false},
		{"signal unusable", base - 1, base, now.Unix() - 60, errors.New("dns down"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd := &fakeReader{records: [][]int64{{tc.signal, 0}}, err: tc.sigErr}
			p, cfg := setup(t, rd, &fakeRsync{})
			p.d.Now = func() time.Time { return now }
			if tc.local != 0 {
				if err := os.WriteFile(filepath.Join(cfg.Trees["content"].Path, "TIME"), signal.FormatTimeFile(tc.local), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			st := state.New()
			st.Tree("content").LastSuccess = tc.lastSuccess
			st.Tree("content").FirstSeen = now.Unix() - 48*3600 // due by first-seen alone, were it counted
			if err := state.Save(cfg.Sync.StateFile, st); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(cfg.Sync.StateFile)
			s, err := p.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (s.SignalErr != nil) != (tc.sigErr != nil) || len(s.Trees) != len(layout) {
				t.Fatalf("status %+v", s)
			}
			ts := s.Trees[0]
			wantSignal := tc.signal
			if tc.sigErr != nil {
				wantSignal = 0
			}
			if ts.Tree != "content" || ts.Local != tc.local || ts.Signal != wantSignal || ts.Behind != tc.behind || ts.Due != tc.due || ts.LastSuccess != tc.lastSuccess {
				t.Fatalf("content %+v; want local %d, signal %d, behind %v, due %v", ts, tc.local, wantSignal, tc.behind, tc.due)
			}
			if after, _ := os.ReadFile(cfg.Sync.StateFile); string(after) != string(before) {
				t.Fatalf("status wrote the state file:\n%s\nwas\n%s", after, before)
			}
		})
	}
}
