package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

var checkerT0 = time.Date(2031, 3, 15, 12, 0, 0, 0, time.UTC)

func openChecker(t testing.TB, path string) *CheckerDB {
	t.Helper()
	c, err := OpenChecker(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func result(mirror, tree string, proto mirrors.Protocol, family mirrors.Family, at time.Time, state checker.State, lag time.Duration) checker.Result {
	return checker.Result{
		Key: checker.Key{Mirror: mirror, Tree: tree, Proto: proto, Family: family},
		At:  at, State: state, Lag: lag,
		Stamp: 1_700_000_000 - int64(lag/time.Second), Signal: 1_700_000_000,
		Latency: 120 * time.Millisecond,
	}
}

func record(t testing.TB, c *CheckerDB, rs ...checker.Result) {
	t.Helper()
	if err := c.Record(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func countRows(t testing.TB, c *CheckerDB, table string) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckerRecordRecent records results for two mirrors and reads one
// tree's history back, newest first, at the store's resolution.
func TestCheckerRecordRecent(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, filepath.Join(t.TempDir(), "checker.db"))
	t0 := checkerT0.Add(700 * time.Millisecond) // stored as whole seconds
	full := checker.Result{
		Key: checker.Key{Mirror: "a", Tree: "content", Proto: mirrors.Rsync, Family: mirrors.IPv6},
		At:  t0.Add(2 * time.Minute), State: checker.Behind, Stamp: 1_699_999_000, Signal: 1_700_000_000,
		Lag: 1000*time.Second + 400*time.Millisecond, Latency: 1234567 * time.Microsecond,
		Err: "", Heartbeat: 1_700_000_123,
	}
	long := result("a", "content", mirrors.HTTPS, "", t0.Add(time.Minute), checker.Unreachable, 0)
	long.Err = strings.Repeat("é", maxErrLen) // a cut through a rune
	record(t, c,
		result("a", "content", mirrors.HTTPS, "", t0, checker.Fresh, 0),
		result("a", "altarch", mirrors.HTTPS, "", t0, checker.Fresh, 0),
		result("b", "content", mirrors.HTTPS, "", t0.Add(time.Hour), checker.Fresh, 0),
		long,
	)
	record(t, c, full)

	got, err := c.Recent(ctx, "a", "content", 10)
	if err != nil {
		t.Fatal(err)
	}
	wantFull := full
	wantFull.At, wantFull.Lag, wantFull.Latency = checkerT0.Add(2*time.Minute), 1000*time.Second, 1234*time.Millisecond
	wantLong := long
	wantLong.At, wantLong.Err = checkerT0.Add(time.Minute), strings.Repeat("é", maxErrLen/2)
	wantFirst := result("a", "content", mirrors.HTTPS, "", checkerT0, checker.Fresh, 0)
	want := []checker.Result{wantFull, wantLong, wantFirst}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Recent(a, content) =\n%+v\nwant\n%+v", got, want)
	}
	got, err = c.Recent(ctx, "a", "content", 2)
	if err != nil || !reflect.DeepEqual(got, want[:2]) {
		t.Fatalf("Recent(a, content, 2) = %+v, %v; want the newest two", got, err)
	}
	if got, err := c.Recent(ctx, "nosuch", "content", 5); err != nil || len(got) != 0 {
		t.Fatalf("Recent of an unknown mirror = %+v, %v", got, err)
	}
}

func TestCapErr(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"short", "connection refused", "connection refused"},
		{"exact", strings.Repeat("x", maxErrLen), strings.Repeat("x", maxErrLen)},
		{"long ascii", strings.Repeat("x", maxErrLen+1), strings.Repeat("x", maxErrLen)},
		{"cut rune", "x" + strings.Repeat("é", maxErrLen), "x" + strings.Repeat("é", maxErrLen/2-1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := capErr(tt.in); got != tt.want {
				t.Fatalf("capErr = %q (%d bytes), want %d bytes", got, len(got), len(tt.want))
			}
		})
	}
}

// TestCheckerRecordAllOrNothing: a round whose insert fails half-way keeps
// none of its results, as a kill -9 mid-round would, and the targets it
// created are not remembered.
func TestCheckerRecordAllOrNothing(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, filepath.Join(t.TempDir(), "checker.db"))
	record(t, c, result("a", "content", mirrors.HTTPS, "", checkerT0, checker.Fresh, 0))
	if _, err := c.db.Exec(`CREATE TRIGGER fail BEFORE INSERT ON results
		WHEN NEW.target = (SELECT id FROM targets WHERE mirror = 'poison')
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	at := checkerT0.Add(5 * time.Minute)
	round := []checker.Result{
		result("a", "content", mirrors.HTTPS, "", at, checker.Fresh, 0),
		result("new", "content", mirrors.HTTPS, "", at, checker.Fresh, 0),
		result("poison", "content", mirrors.HTTPS, "", at, checker.Fresh, 0),
		result("later", "content", mirrors.HTTPS, "", at, checker.Fresh, 0),
	}
	if err := c.Record(ctx, round); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Record with a failing insert: err = %v", err)
	}
	if n := countRows(t, c, "results"); n != 1 {
		t.Fatalf("%d results after a failed round, want the 1 from before", n)
	}
	if n := countRows(t, c, "targets"); n != 1 {
		t.Fatalf("%d targets after a failed round, want 1", n)
	}
	if _, err := c.db.Exec("DROP TRIGGER fail"); err != nil {
		t.Fatal(err)
	}
	record(t, c, round...)
	for _, m := range []string{"a", "new", "poison", "later"} {
		got, err := c.Recent(ctx, m, "content", 1)
		if err != nil || len(got) != 1 || !got[0].At.Equal(at) {
			t.Fatalf("Recent(%s) after the retried round = %+v, %v", m, got, err)
		}
	}
}

func TestCheckerFirstFresh(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, filepath.Join(t.TempDir(), "checker.db"))
	first := func(tree string, stamp int64, mirror string, at time.Time) {
		t.Helper()
		if err := c.RecordFirstFresh(ctx, tree, stamp, mirror, at); err != nil {
			t.Fatal(err)
		}
	}
	first("content", 100, "a", checkerT0)
	first("content", 100, "b", checkerT0.Add(time.Minute))
	first("content", 100, "a", checkerT0.Add(time.Hour)) // ignored: not the first
	first("content", 200, "a", checkerT0.Add(2*time.Hour))
	first("altarch", 100, "a", checkerT0.Add(3*time.Hour))

	for _, tt := range []struct {
		tree  string
		stamp int64
		want  map[string]time.Time
	}{
		{"content", 100, map[string]time.Time{"a": checkerT0, "b": checkerT0.Add(time.Minute)}},
		{"content", 200, map[string]time.Time{"a": checkerT0.Add(2 * time.Hour)}},
		{"altarch", 100, map[string]time.Time{"a": checkerT0.Add(3 * time.Hour)}},
		{"altarch", 200, map[string]time.Time{}},
	} {
		t.Run(fmt.Sprintf("%s@%d", tt.tree, tt.stamp), func(t *testing.T) {
			got, err := c.FirstFresh(ctx, tt.tree, tt.stamp)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FirstFresh = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestCheckerReopen: results, targets and first-fresh times survive a
// close, and a reopened database files new results under the old targets.
func TestCheckerReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checker.db")
	c, err := OpenChecker(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r1 := result("a", "content", mirrors.HTTPS, mirrors.IPv4, checkerT0, checker.Behind, time.Minute)
	record(t, c, r1)
	if err := c.RecordFirstFresh(ctx, "content", 100, "a", checkerT0); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = openChecker(t, path)
	if v := userVersion(t, c.db); v != len(checkerMigrations) {
		t.Fatalf("user_version = %d, want %d", v, len(checkerMigrations))
	}
	r2 := r1
	r2.At, r2.State, r2.Lag, r2.Stamp = checkerT0.Add(5*time.Minute), checker.Fresh, 0, r1.Signal
	record(t, c, r2)
	got, err := c.Recent(ctx, "a", "content", 5)
	if err != nil || !reflect.DeepEqual(got, []checker.Result{r2, r1}) {
		t.Fatalf("Recent after reopen = %+v, %v", got, err)
	}
	if n := countRows(t, c, "targets"); n != 1 {
		t.Fatalf("%d targets after reopen, want 1", n)
	}
	ff, err := c.FirstFresh(ctx, "content", 100)
	if err != nil || !ff["a"].Equal(checkerT0) {
		t.Fatalf("FirstFresh after reopen = %v, %v", ff, err)
	}
}

// TestCheckerRefusesNewerSchema: a checker.db from a newer signald is
// refused, naming both versions, and left byte for byte as it was.
func TestCheckerRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checker.db")
	c, err := OpenChecker(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, c, result("a", "content", mirrors.HTTPS, "", checkerT0, checker.Fresh, 0))
	newer := len(checkerMigrations) + 3
	if _, err := c.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	c2, err := OpenChecker(ctx, path)
	if !errors.Is(err, ErrNewerSchema) {
		if c2 != nil {
			c2.Close()
		}
		t.Fatalf("opened a newer checker.db: err = %v", err)
	}
	for _, want := range []string{path, fmt.Sprintf("schema version %d", newer), fmt.Sprintf("knows up to %d", len(checkerMigrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("refusing a newer checker.db modified its file")
	}
}

// BenchmarkRecord records rounds of 30 000 results: 10 000 mirrors × 3
// trees, one op per round.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	c := openChecker(b, filepath.Join(b.TempDir(), "checker.db"))
	round := make([]checker.Result, 0, 30_000)
	for m := range 10_000 {
		for _, tree := range []string{"content", "altarch", "debug"} {
			r := result(fmt.Sprintf("mirror%05d.example.org", m), tree, mirrors.HTTPS, "", checkerT0, checker.Fresh, 0)
			if m%10 == 0 {
				r.State, r.Err = checker.Unreachable, "dial tcp: connect: connection refused"
			}
			round = append(round, r)
		}
	}
	record(b, c, round...) // creates the targets
	at := checkerT0
	for b.Loop() {
		at = at.Add(5 * time.Minute)
		for i := range round {
			round[i].At = at
		}
		if err := c.Record(ctx, round); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(round)), "results/round")
}
