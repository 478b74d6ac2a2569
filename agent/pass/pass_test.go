package pass

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/advice"
	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/lockfile"
	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

var layout = signal.Layout{"content", "vault"}

// fakeReader serves a sequence of records, the last one forever.
type fakeReader struct {
	records [][]int64
	reads   int
	err     error
}

func (f *fakeReader) Read(context.Context) (query.Signal, error) {
	if f.err != nil {
		return query.Signal{}, f.err
	}
	s := f.records[min(f.reads, len(f.records)-1)]
	f.reads++
	rec := signal.Record{Layout: layout, Stamps: s}
	return query.Signal{Record: rec, Text: rec.String(), Security: query.Security{Secure: true}}, nil
}

func (f *fakeReader) CheckLayout(context.Context) error { return nil }

// fakeRsync "syncs" by writing the stamp each source holds into the TIME
// file. A probe (the pre-flight) writes it into its scratch directory; a
// source not in upstream has no TIME file (rsync exit 23).
type fakeRsync struct {
	upstream map[string]int64 // source → TIME it serves
	fail     map[string]bool
	runs     []string // sources of the sync runs (probes left out)
	probes   []string // sources of the pre-flight probes
	onRun    func()   // called after every sync run
}

func (f *fakeRsync) Run(_ context.Context, j rsync.Job) error {
	if j.Stage == rsync.Probe {
		f.probes = append(f.probes, j.Source)
	} else {
		f.runs = append(f.runs, j.Source)
		if f.onRun != nil {
			defer f.onRun()
		}
	}
	if f.fail[j.Source] {
		return &rsync.ExitError{Code: 10, Reason: "error in socket I/O"}
	}
	stamp, ok := f.upstream[j.Source]
	if !ok {
		return &rsync.ExitError{Code: rsync.PartialError, Reason: "partial transfer due to error"}
	}
	return os.WriteFile(filepath.Join(j.Dest, j.TimeFile), signal.FormatTimeFile(stamp), 0o644)
}

type fakeAdvice struct {
	res advice.Result
	err error
}

func (f fakeAdvice) Fetch(context.Context, string, int64) (advice.Result, error) { return f.res, f.err }

func setup(t *testing.T, rd *fakeReader, rs *fakeRsync) (*Pass, *config.Config) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Signal.Layout = layout
	cfg.Sync.StateFile = filepath.Join(dir, "state.json")
	cfg.Trees = map[string]*config.Tree{}
	for _, tree := range layout {
		cfg.Trees[tree] = &config.Tree{Path: filepath.Join(dir, tree), TimeFile: "TIME", Sources: []string{tree + "::a", tree + "::b"}}
		os.MkdirAll(cfg.Trees[tree].Path, 0o755)
	}
	p := New(Deps{
		Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
		Reader: rd, Rsync: rs, Lock: func() (func() error, error) { return func() error { return nil }, nil },
	})
	return p, cfg
}

func TestSignalMovedDuringSyncLoopsBounded(t *testing.T) {
	base := int64(1_800_000_000)
	rd := &fakeReader{records: [][]int64{{base, 0}, {base + 1, 0}, {base + 2, 0}, {base + 3, 0}, {base + 4, 0}}}
	rs := &fakeRsync{upstream: map[string]int64{"content::a": base}}
	rs.onRun = func() { rs.upstream["content::a"]++ } // upstream moves on as every sync ends
	p, cfg := setup(t, rd, rs)
	cfg.Sync.MaxRounds = 3
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rs.runs) != 3 {
		t.Fatalf("%d rsync runs, want 3 (max_rounds): %v", len(rs.runs), rs.runs)
	}
}

func TestStaleThenRsyncFailureCodes(t *testing.T) {
	base := int64(1_800_000_000)
	tests := []struct {
		name     string
		upstream map[string]int64
		fail     map[string]bool
		code     int
		probes   []string // pre-flights
		runs     []string // syncs: only from sources that passed the pre-flight
	}{
		{"first fresh", map[string]int64{"content::a": base}, nil, exitcode.OK, []string{"content::a"}, []string{"content::a"}},
		{"second fresh", map[string]int64{"content::a": base - 5, "content::b": base}, nil, exitcode.OK, []string{"content::a", "content::b"}, []string{"content::b"}},
		{"none fresh", map[string]int64{"content::a": base - 5, "content::b": base - 1}, nil, exitcode.Behind, []string{"content::a", "content::b"}, nil},
		{"no TIME, next fresh", map[string]int64{"content::b": base}, nil, exitcode.OK, []string{"content::a", "content::b"}, []string{"content::b"}},
		{"no TIME anywhere", map[string]int64{}, nil, exitcode.Behind, []string{"content::a", "content::b"}, nil},
		{"rsync fails, next fresh", map[string]int64{"content::b": base}, map[string]bool{"content::a": true}, exitcode.OK, []string{"content::a", "content::b"}, []string{"content::b"}},
		{"stale and failed", map[string]int64{"content::b": base - 1}, map[string]bool{"content::a": true}, exitcode.Behind, []string{"content::a", "content::b"}, nil},
		{"all fail", nil, map[string]bool{"content::a": true, "content::b": true}, exitcode.Rsync, []string{"content::a", "content::b"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &fakeRsync{upstream: tc.upstream, fail: tc.fail}
			p, _ := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, rs)
			err := p.Run(context.Background())
			if got := exitcode.Code(err); got != tc.code {
				t.Fatalf("exit %d, want %d (%v)", got, tc.code, err)
			}
			if !slices.Equal(rs.probes, tc.probes) || !slices.Equal(rs.runs, tc.runs) {
				t.Fatalf("probes %v, runs %v; want %v, %v", rs.probes, rs.runs, tc.probes, tc.runs)
			}
			if err != nil && !exitcode.IsReported(err) {
				t.Error("error not marked as logged")
			}
		})
	}
}

func TestAdviceFirstThenConfigured(t *testing.T) {
	base := int64(1_800_000_000)
	for name, tc := range map[string]struct {
		adv  fakeAdvice
		runs []string
	}{
		"advice used":     {fakeAdvice{res: advice.Result{Sources: []string{"near::m"}}}, []string{"near::m"}},
		"advice refused":  {fakeAdvice{err: advice.ErrAdvice}, []string{"content::a"}},
		"advice is stale": {fakeAdvice{res: advice.Result{Sources: []string{"stale::m"}}}, []string{"content::a"}}, // refused by the pre-flight
	} {
		t.Run(name, func(t *testing.T) {
			rs := &fakeRsync{upstream: map[string]int64{"near::m": base, "stale::m": base - 1, "content::a": base}}
			p, _ := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, rs)
			p.d.Advice = tc.adv
			if err := p.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rs.runs, tc.runs) {
				t.Fatalf("runs %v, want %v", rs.runs, tc.runs)
			}
		})
	}
}

func TestLockBusyIsSuccessWithoutSync(t *testing.T) {
	rs := &fakeRsync{}
	p, _ := setup(t, &fakeReader{records: [][]int64{{1_800_000_000, 0}}}, rs)
	p.d.Lock = func() (func() error, error) { return nil, lockfile.ErrBusy }
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rs.runs) != 0 {
		t.Fatalf("synced while busy: %v", rs.runs)
	}
}

func TestMaxIntervalWithoutSignal(t *testing.T) {
	rs := &fakeRsync{upstream: map[string]int64{"content::a": 1_800_000_000, "vault::a": 1_800_000_000}}
	rd := &fakeReader{err: errors.New("dns down")}
	p, cfg := setup(t, rd, rs)
	now := time.Now()
	p.d.Now = func() time.Time { return now }
	if err := p.Run(context.Background()); exitcode.Code(err) != exitcode.Failure || len(rs.runs) != 0 {
		t.Fatalf("first pass: %v, runs %v", err, rs.runs)
	}
	now = now.Add(cfg.Sync.MaxInterval.D() - time.Second)
	if p.Run(context.Background()); len(rs.runs) != 0 {
		t.Fatalf("synced before max_interval: %v", rs.runs)
	}
	now = now.Add(time.Second)
	p.Run(context.Background())
	if !slices.Equal(rs.runs, []string{"content::a", "vault::a"}) {
		t.Fatalf("runs %v", rs.runs)
	}
	now = now.Add(time.Hour)
	if p.Run(context.Background()); len(rs.runs) != 2 {
		t.Fatalf("synced again an hour after success: %v", rs.runs)
	}
}
