package publish

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

var layout = signal.Layout{"content", "altarch", "vault"}

func newPublisher(t *testing.T, now time.Time) (*Publisher, *store.Store, *[]store.State) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var commits []store.State
	p, err := New(Options{Store: st, Layout: layout, MaxFuture: 5 * time.Minute, Now: func() time.Time { return now },
		Commit: func(s store.State) { commits = append(commits, s) },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	return p, st, &commits
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		req     Request
		wantErr error
		record  string
	}{
		{"now", Request{Tree: "content"}, nil, "1800000000:0:0"},
		{"explicit", Request{Tree: "vault", Stamp: 1_700_000_000}, nil, "1800000000:0:1700000000"},
		{"unchanged", Request{Tree: "vault", Stamp: 1_700_000_000}, nil, "1800000000:0:1700000000"},
		{"backwards", Request{Tree: "content", Stamp: 1_799_999_999}, ErrBackwards, ""},
		{"forced backwards", Request{Tree: "content", Stamp: 1_799_999_999, Force: true}, nil, "1799999999:0:1700000000"},
		{"unknown tree", Request{Tree: "isos", Stamp: 1_700_000_000}, ErrUnknownTree, ""},
		{"too old", Request{Tree: "altarch", Stamp: 12345}, ErrBadStamp, ""},
		{"negative", Request{Tree: "altarch", Stamp: -5}, ErrBadStamp, ""},
		{"past 2100", Request{Tree: "altarch", Stamp: signal.MaxStamp + 1}, ErrBadStamp, ""},
		{"far future", Request{Tree: "altarch", Stamp: now.Unix() + 301}, ErrFuture, ""},
		{"near future", Request{Tree: "altarch", Stamp: now.Unix() + 300}, nil, "1799999999:1800000300:1700000000"},
	}
	p, st, commits := newPublisher(t, now)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := st.State(ctx)
			nCommits := len(*commits)
			res, err := p.Publish(ctx, tt.req)
			after, _ := st.State(ctx)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if after.Serial != before.Serial || len(*commits) != nCommits {
					t.Fatalf("a refused publish changed state: serial %d -> %d, commits %d -> %d", before.Serial, after.Serial, nCommits, len(*commits))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Record.String(); got != tt.record {
				t.Fatalf("record = %q, want %q", got, tt.record)
			}
			if res.Unchanged != (after.Serial == before.Serial) {
				t.Fatalf("unchanged=%v but serial %d -> %d", res.Unchanged, before.Serial, after.Serial)
			}
			if !res.Unchanged && (len(*commits) != nCommits+1 || (*commits)[nCommits].Serial != after.Serial) {
				t.Fatalf("commit hook not called with the new state")
			}
		})
	}
}
