package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The default retention of probe results.
const (
	DefaultFull   = 48 * time.Hour      // every result
	DefaultHourly = 30 * 24 * time.Hour // one per target and hour
	DefaultDaily  = 365 * 24 * time.Hour
)

const (
	hourSecs = int64(time.Hour / time.Second)
	daySecs  = 24 * hourSecs

	// defaultThinChunk is how many targets one Thin transaction covers: a
	// few hundred targets' newly aged rows, so a thinning round holds the
	// write lock for milliseconds and a Record waits for no longer.
	defaultThinChunk = 256
	// firstFreshChunk is how many expired first_fresh rows one transaction
	// deletes.
	firstFreshChunk = 5000
)

// Policy says how long Thin keeps probe results. Zero fields take the
// defaults.
type Policy struct {
	Full   time.Duration // keep every result younger than this (DefaultFull)
	Hourly time.Duration // then one per target and hour (DefaultHourly)
	Daily  time.Duration // then one per target and day; none older (DefaultDaily)
}

func (p Policy) withDefaults() Policy {
	if p.Full == 0 {
		p.Full = DefaultFull
	}
	if p.Hourly == 0 {
		p.Hourly = DefaultHourly
	}
	if p.Daily == 0 {
		p.Daily = DefaultDaily
	}
	return p
}

// Validate reports a policy whose ages are negative or out of order.
func (p Policy) Validate() error {
	p = p.withDefaults()
	if p.Full < 0 || p.Full > p.Hourly || p.Hourly > p.Daily {
		return fmt.Errorf("thinning policy: want 0 < full (%s) ≤ hourly (%s) ≤ daily (%s)", p.Full, p.Hourly, p.Daily)
	}
	return nil
}

// Thinned counts the rows a Thin deleted.
type Thinned struct {
	Results    int64
	FirstFresh int64
}

// Thin ages the probe results as of now. Buckets are UTC hours and days,
// and a bucket moves to the next band only once it is wholly past its
// age: results younger than p.Full are all kept, and so is the rest of the
// hour that straddles that age. Of each target's results in an hour wholly
// older than p.Full it keeps one; in a day wholly older than p.Hourly, one;
// of a day wholly older than p.Daily, none. The one kept is the worst state
// of its bucket, the latest among equals, so thinning again at a coarser
// bucket keeps the worst of the coarser bucket. First-fresh rows are not
// thinned but are dropped after p.Daily too.
//
// Thin works through the targets a chunk at a time, one short transaction
// per chunk, and remembers in checker.db how far each band has been
// thinned, so each call only reads the rows that aged since the last.
// (Results recorded later with a time before that mark, after the clock
// stepped back, are thinned when they reach the next band.) A cancelled
// Thin keeps what it did; the next call finishes the work.
func (c *CheckerDB) Thin(ctx context.Context, now time.Time, p Policy) (Thinned, error) {
	var done Thinned
	if err := p.Validate(); err != nil {
		return done, err
	}
	p = p.withDefaults()
	cutoff := floorTo(now.Add(-p.Daily).Unix(), daySecs)
	dailyEnd := floorTo(now.Add(-p.Hourly).Unix(), daySecs)
	hourlyEnd := floorTo(now.Add(-p.Full).Unix(), hourSecs)

	var err error
	done.Results, err = c.eachTargetChunk(ctx, `DELETE FROM results
		WHERE target IN (SELECT id FROM targets WHERE id > ?1 AND id <= ?2) AND at < ?3`, cutoff)
	if err != nil {
		return done, fmt.Errorf("thin %s: expire results: %w", c.path, err)
	}
	bands := []struct {
		mark        string
		start, end  int64
		bucketWidth int64
	}{
		{"thinned_daily", cutoff, dailyEnd, daySecs},
		{"thinned_hourly", dailyEnd, hourlyEnd, hourSecs},
	}
	for _, b := range bands {
		n, err := c.thinBand(ctx, b.mark, b.start, b.end, b.bucketWidth)
		done.Results += n
		if err != nil {
			return done, fmt.Errorf("thin %s: %s: %w", c.path, b.mark, err)
		}
	}
	done.FirstFresh, err = c.expireFirstFresh(ctx, cutoff)
	return done, err
}

// thinBand keeps one result per target and bucket in [max(mark, start),
// end), then moves the mark to end.
func (c *CheckerDB) thinBand(ctx context.Context, mark string, start, end, width int64) (int64, error) {
	done, err := c.mark(ctx, mark)
	if err != nil {
		return 0, err
	}
	start = max(start, done)
	if start >= end {
		return 0, nil
	}
	n, err := c.eachTargetChunk(ctx, `WITH ranked AS (
		SELECT target, at, row_number() OVER (PARTITION BY target, at / ?3 ORDER BY state DESC, at DESC) AS rank
		FROM results
		WHERE target IN (SELECT id FROM targets WHERE id > ?1 AND id <= ?2) AND at >= ?4 AND at < ?5)
		DELETE FROM results WHERE (target, at) IN (SELECT target, at FROM ranked WHERE rank > 1)`,
		width, start, end)
	if err != nil {
		return n, err
	}
	return n, c.setMark(ctx, mark, end)
}

// eachTargetChunk runs the statement del once per chunk of targets, each
// in its own transaction, and returns the rows it deleted. del's ?1 and ?2
// are the chunk's bounds (after, last]; args are ?3 and on.
func (c *CheckerDB) eachTargetChunk(ctx context.Context, del string, args ...any) (int64, error) {
	var deleted int64
	for after := int64(0); ; {
		var last sql.NullInt64
		err := c.db.QueryRowContext(ctx, `SELECT max(id) FROM (SELECT id FROM targets WHERE id > ? ORDER BY id LIMIT ?)`,
			after, c.thinChunk).Scan(&last)
		if err != nil {
			return deleted, err
		}
		if !last.Valid {
			return deleted, nil
		}
		res, err := c.db.ExecContext(ctx, del, append([]any{after, last.Int64}, args...)...)
		if err != nil {
			return deleted, err
		}
		n, err := res.RowsAffected()
		deleted += n
		if err != nil {
			return deleted, err
		}
		after = last.Int64
	}
}

// expireFirstFresh deletes first-fresh rows older than cutoff, a chunk per
// transaction.
func (c *CheckerDB) expireFirstFresh(ctx context.Context, cutoff int64) (int64, error) {
	var deleted int64
	for {
		res, err := c.db.ExecContext(ctx, `DELETE FROM first_fresh
			WHERE rowid IN (SELECT rowid FROM first_fresh WHERE at < ? LIMIT ?)`, cutoff, firstFreshChunk)
		if err != nil {
			return deleted, fmt.Errorf("thin %s: expire first fresh: %w", c.path, err)
		}
		n, err := res.RowsAffected()
		deleted += n
		if err != nil || n < firstFreshChunk {
			return deleted, err
		}
	}
}

func (c *CheckerDB) mark(ctx context.Context, key string) (int64, error) {
	var v int64
	err := c.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func (c *CheckerDB) setMark(ctx context.Context, key string, v int64) error {
	_, err := c.db.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, v)
	return err
}

// floorTo rounds t down to a multiple of width.
func floorTo(t, width int64) int64 {
	r := t % width
	if r < 0 {
		r += width
	}
	return t - r
}
