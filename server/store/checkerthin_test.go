package store

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// thinRow is a stored result as the thinning test sees it.
type thinRow struct {
	mirror string
	at     int64
	state  int
}

// syntheticHistory is three years of results for two targets up to now:
// every 6 hours, and every 15 minutes over the last 40 days, with states
// in a pattern that puts several in most buckets.
func syntheticHistory(now time.Time) []checker.Result {
	var rs []checker.Result
	add := func(mirror string, at time.Time, i int) {
		state := stateCodes[(i*7)%5] // fresh … unreachable
		rs = append(rs, result(mirror, "content", mirrors.HTTPS, "", at, state, 0))
	}
	for _, mirror := range []string{"a", "b"} {
		i := 0
		for at := now.AddDate(-3, 0, 0); at.Before(now.AddDate(0, 0, -40)); at = at.Add(6 * time.Hour) {
			add(mirror, at, i)
			i++
		}
		for at := now.AddDate(0, 0, -40); !at.After(now); at = at.Add(15 * time.Minute) {
			add(mirror, at, i)
			i++
		}
	}
	return rs
}

// expectThinned is Thin's rule applied by brute force: per mirror and
// bucket, the worst row, the latest among equals.
func expectThinned(rs []checker.Result, now time.Time, p Policy) map[thinRow]bool {
	p = p.withDefaults()
	cutoff := floorTo(now.Add(-p.Daily).Unix(), daySecs)
	dailyEnd := floorTo(now.Add(-p.Hourly).Unix(), daySecs)
	hourlyEnd := floorTo(now.Add(-p.Full).Unix(), hourSecs)
	type bucket struct {
		band   string
		mirror string
		start  int64
	}
	keep := map[bucket]thinRow{}
	for _, r := range rs {
		row := thinRow{r.Mirror, r.At.Unix(), stateCode(r.State)}
		b := bucket{"full", row.mirror, row.at} // a bucket of its own
		switch {
		case row.at < cutoff:
			continue
		case row.at < dailyEnd:
			b.band, b.start = "daily", floorTo(row.at, daySecs)
		case row.at < hourlyEnd:
			b.band, b.start = "hourly", floorTo(row.at, hourSecs)
		}
		old, ok := keep[b]
		if !ok || row.state > old.state || row.state == old.state && row.at > old.at {
			keep[b] = row
		}
	}
	out := map[thinRow]bool{}
	for _, row := range keep {
		out[row] = true
	}
	return out
}

func storedRows(t *testing.T, c *CheckerDB) map[thinRow]bool {
	t.Helper()
	rows, err := c.db.Query("SELECT t.mirror, r.at, r.state FROM results r JOIN targets t ON t.id = r.target")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[thinRow]bool{}
	for rows.Next() {
		var row thinRow
		if err := rows.Scan(&row.mirror, &row.at, &row.state); err != nil {
			t.Fatal(err)
		}
		out[row] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// perBand counts rows by band (younger than Full, hourly, daily, older than
// Daily, as Thin draws the lines at whole hours and days) and the most rows
// any one target has in one bucket of each band.
func perBand(rows map[thinRow]bool, now time.Time, p Policy) (counts, most [4]int) {
	p = p.withDefaults()
	type bucket struct {
		band   int
		mirror string
		start  int64
	}
	n := map[bucket]int{}
	for row := range rows {
		b := bucket{mirror: row.mirror, start: row.at}
		b.band, b.start = band(row.at, now, p)
		counts[b.band]++
		n[b]++
		most[b.band] = max(most[b.band], n[b])
	}
	return counts, most
}

// band says in which band at falls and the start of its bucket there.
func band(at int64, now time.Time, p Policy) (int, int64) {
	switch {
	case at >= floorTo(now.Add(-p.Full).Unix(), hourSecs):
		return 0, at
	case at >= floorTo(now.Add(-p.Hourly).Unix(), daySecs):
		return 1, floorTo(at, hourSecs)
	case at >= floorTo(now.Add(-p.Daily).Unix(), daySecs):
		return 2, floorTo(at, daySecs)
	}
	return 3, 0
}

// bucketsOf counts the distinct buckets of the results in each band.
func bucketsOf(rs []checker.Result, now time.Time, p Policy) (counts [4]int) {
	p = p.withDefaults()
	seen := map[[3]any]bool{}
	for _, r := range rs {
		b, start := band(r.At.Unix(), now, p)
		k := [3]any{b, r.Mirror, start}
		if !seen[k] {
			seen[k] = true
			counts[b]++
		}
	}
	counts[3] = 0
	return counts
}

// TestCheckerThin thins three years of synthetic results at a fixed now,
// then again a day later, comparing with the rule applied by brute force.
func TestCheckerThin(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, t.TempDir()+"/checker.db")
	c.thinChunk = 1 // one target per transaction: exercise the chunking
	now := time.Date(2031, 3, 15, 10, 37, 12, 0, time.UTC)
	history := syntheticHistory(now)
	record(t, c, history...)
	for _, ff := range []struct {
		stamp int64
		at    time.Time
	}{{1, now.AddDate(-1, 0, -1)}, {2, now.AddDate(0, -11, 0)}} {
		if err := c.RecordFirstFresh(ctx, "content", ff.stamp, "a", ff.at); err != nil {
			t.Fatal(err)
		}
	}
	before := len(storedRows(t, c))
	var p Policy // the defaults

	for _, step := range []struct {
		name string
		now  time.Time
	}{
		{"first", now},
		{"again at the same time", now},
		{"a day and 3h later", now.Add(27 * time.Hour)},
		{"an hour later", now.Add(28 * time.Hour)},
	} {
		t.Run(step.name, func(t *testing.T) {
			prev := len(storedRows(t, c))
			deleted, err := c.Thin(ctx, step.now, p)
			if err != nil {
				t.Fatal(err)
			}
			got := storedRows(t, c)
			if want := expectThinned(history, step.now, p); !maps.Equal(got, want) {
				t.Fatalf("after Thin: %d rows, want %d", len(got), len(want))
			}
			if int(deleted.Results) != prev-len(got) {
				t.Errorf("Thin says it deleted %d, the table lost %d", deleted.Results, prev-len(got))
			}
			counts, most := perBand(got, step.now, p)
			t.Logf("rows %d → %d; per band (full, hourly, daily, older) %v", prev, len(got), counts)
			if want := bucketsOf(history, step.now, p); counts != want {
				t.Errorf("rows per band (full, hourly, daily, older) = %v, want one per bucket: %v", counts, want)
			}
			if most[1] != 1 || most[2] != 1 {
				t.Errorf("most rows of a target in one bucket: %v; want 1 per hour and day", most)
			}
		})
	}
	if after := len(storedRows(t, c)); after >= before/5 {
		t.Errorf("thinning kept %d of %d rows", after, before)
	}
	ff, err := c.FirstFresh(ctx, "content", 1)
	if err != nil || len(ff) != 0 {
		t.Errorf("first fresh older than a year = %v, %v; want it dropped", ff, err)
	}
	if ff, err := c.FirstFresh(ctx, "content", 2); err != nil || len(ff) != 1 {
		t.Errorf("first fresh of 11 months ago = %v, %v; want it kept", ff, err)
	}
}

// TestCheckerThinFull: every row younger than Full survives, those in the
// hour straddling it too.
func TestCheckerThinFull(t *testing.T) {
	c := openChecker(t, t.TempDir()+"/checker.db")
	now := time.Date(2031, 3, 15, 10, 30, 0, 0, time.UTC)
	var rs []checker.Result
	for at := now.Add(-49 * time.Hour); !at.After(now); at = at.Add(10 * time.Minute) {
		rs = append(rs, result("a", "content", mirrors.HTTPS, "", at, checker.Fresh, 0))
	}
	record(t, c, rs...)
	if _, err := c.Thin(context.Background(), now, Policy{}); err != nil {
		t.Fatal(err)
	}
	var ats []int64
	for row := range storedRows(t, c) {
		ats = append(ats, row.at)
	}
	slices.Sort(ats)
	// The rows start at 09:30 two days ago; the 48 h mark is 10:30. Of
	// 09:30–09:50 one row is kept (the last); from 10:00 on, every row: the
	// 10:00 hour straddles the mark.
	first := now.Add(-48*time.Hour - 30*time.Minute)
	want := []int64{first.Add(-10 * time.Minute).Unix()}
	for at := first; !at.After(now); at = at.Add(10 * time.Minute) {
		want = append(want, at.Unix())
	}
	if !slices.Equal(ats, want) {
		t.Fatalf("kept %d rows from %v, want %d from %v", len(ats), time.Unix(ats[0], 0).UTC(), len(want), time.Unix(want[0], 0).UTC())
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"defaults", Policy{}, true},
		{"explicit", Policy{Full: time.Hour, Hourly: 24 * time.Hour, Daily: 90 * 24 * time.Hour}, true},
		{"negative", Policy{Full: -time.Hour}, false},
		{"full above hourly", Policy{Full: 40 * 24 * time.Hour}, false},
		{"hourly above daily", Policy{Hourly: 400 * 24 * time.Hour}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestCheckerThinWhileRecording runs rounds and thinning at once: each
// waits for the other's short transactions, and no round is lost.
func TestCheckerThinWhileRecording(t *testing.T) {
	ctx := context.Background()
	c := openChecker(t, t.TempDir()+"/checker.db")
	c.thinChunk = 2
	now := time.Date(2031, 3, 15, 10, 0, 0, 0, time.UTC)
	var old []checker.Result
	for m := range 10 {
		for at := now.Add(-5 * 24 * time.Hour); at.Before(now.Add(-3 * 24 * time.Hour)); at = at.Add(10 * time.Minute) {
			old = append(old, result(string(rune('a'+m)), "content", mirrors.HTTPS, "", at, checker.Fresh, 0))
		}
	}
	record(t, c, old...)
	const rounds = 20
	errc := make(chan error, 1)
	go func() {
		for i := range rounds {
			at := now.Add(time.Duration(i) * time.Minute)
			var round []checker.Result
			for m := range 12 {
				round = append(round, result(string(rune('a'+m)), "content", mirrors.Rsync, "", at, checker.Fresh, 0))
			}
			if err := c.Record(ctx, round); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	thinned, err := c.Thin(ctx, now, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// 10 mirrors × 48 hours, 6 results an hour down to 1.
	if want := int64(10 * 48 * 5); thinned.Results != want {
		t.Errorf("Thin deleted %d results, want %d", thinned.Results, want)
	}
	for m := range 12 {
		got, err := c.Recent(ctx, string(rune('a'+m)), "content", rounds+1)
		if err != nil {
			t.Fatal(err)
		}
		rsync := 0
		for _, r := range got {
			if r.Proto == mirrors.Rsync {
				rsync++
			}
		}
		if rsync != rounds {
			t.Errorf("mirror %c: %d of %d rounds recorded", 'a'+m, rsync, rounds)
		}
	}
}
