package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// maxErrLen caps the error text kept per result, in bytes: enough for the
// cause a status page shows, small next to the rest of the row.
const maxErrLen = 200

// stateCodes are the checker's states in its best-first order; a state is
// stored as its index, so the worst of a set of rows is the max.
var stateCodes = []checker.State{checker.Fresh, checker.Behind, checker.Inconsistent, checker.Error, checker.Unreachable, checker.Unknown}

// CheckerDB is the checker's history, checker.db: every probe result,
// thinned as it ages, and when each mirror first had each publish. It
// implements checker.Sink. Its methods are safe for concurrent use.
type CheckerDB struct {
	db   *sql.DB
	path string

	mu      sync.Mutex // held by Record; guards targets
	targets map[checker.Key]int64

	thinChunk int // targets per Thin transaction
}

var _ checker.Sink = (*CheckerDB)(nil)

// OpenChecker opens or creates the checker database at path, checks its
// integrity and brings its schema to the latest version. A database from a
// newer signald is refused with ErrNewerSchema and left as it is. A crash
// loses at most the round being recorded (synchronous=NORMAL).
func OpenChecker(ctx context.Context, path string) (*CheckerDB, error) {
	db, err := openDB(path, "NORMAL")
	if err != nil {
		return nil, err
	}
	c := &CheckerDB{db: db, path: path, targets: map[checker.Key]int64{}, thinChunk: defaultThinChunk}
	if err := checkIntegrity(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, path, checkerMigrations); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the database.
func (c *CheckerDB) Close() error { return c.db.Close() }

// Record stores one round of results in one transaction: either all of them
// are kept or, on any error, none. A later result for the same target in
// the same second replaces an earlier one.
func (c *CheckerDB) Record(ctx context.Context, results []checker.Result) error {
	if len(results) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record results: %w", err)
	}
	defer tx.Rollback()
	w, err := c.newRoundWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for _, r := range results {
		if err := w.write(ctx, r); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record results: commit to %s: %w", c.path, err)
	}
	// Only now do the new targets' ids exist for sure.
	for k, id := range w.added {
		c.targets[k] = id
	}
	return nil
}

// roundWriter holds the prepared statements of one Record transaction and
// the targets it created, which the cache learns only once it commits.
type roundWriter struct {
	c                      *CheckerDB
	insert, lookup, create *sql.Stmt
	added                  map[checker.Key]int64
}

func (c *CheckerDB) newRoundWriter(ctx context.Context, tx *sql.Tx) (*roundWriter, error) {
	w := &roundWriter{c: c, added: map[checker.Key]int64{}}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.insert, `INSERT OR REPLACE INTO results(target, at, state, stamp, signal, lag, latency, err, heartbeat) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.lookup, `SELECT id FROM targets WHERE mirror = ? AND tree = ? AND proto = ? AND family = ?`},
		{&w.create, `INSERT INTO targets(mirror, tree, proto, family) VALUES(?, ?, ?, ?) RETURNING id`},
	} {
		stmt, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("record results: prepare: %w", err)
		}
		*p.stmt = stmt
	}
	return w, nil
}

func (w *roundWriter) close() {
	for _, s := range []*sql.Stmt{w.insert, w.lookup, w.create} {
		if s != nil {
			s.Close()
		}
	}
}

func (w *roundWriter) write(ctx context.Context, r checker.Result) error {
	id, err := w.target(ctx, r.Key)
	if err != nil {
		return err
	}
	_, err = w.insert.ExecContext(ctx, id, r.At.Unix(), stateCode(r.State), r.Stamp, r.Signal,
		int64(r.Lag/time.Second), r.Latency.Milliseconds(), capErr(r.Err), r.Heartbeat)
	if err != nil {
		return fmt.Errorf("record result %s/%s/%s/%s: %w", r.Mirror, r.Tree, r.Proto, r.Family, err)
	}
	return nil
}

// target returns k's id, creating the target if it is new.
func (w *roundWriter) target(ctx context.Context, k checker.Key) (int64, error) {
	if id, ok := w.c.targets[k]; ok {
		return id, nil
	}
	if id, ok := w.added[k]; ok {
		return id, nil
	}
	args := []any{k.Mirror, k.Tree, string(k.Proto), string(k.Family)}
	var id int64
	err := w.lookup.QueryRowContext(ctx, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = w.create.QueryRowContext(ctx, args...).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("record results: target %s/%s/%s/%s: %w", k.Mirror, k.Tree, k.Proto, k.Family, err)
	}
	w.added[k] = id
	return id, nil
}

// stateCode is s's index in stateCodes; a state the store does not know is
// kept as Unknown.
func stateCode(s checker.State) int {
	if i := slices.Index(stateCodes, s); i >= 0 {
		return i
	}
	return len(stateCodes) - 1
}

func codeState(code int) checker.State {
	if code < 0 || code >= len(stateCodes) {
		return checker.Unknown
	}
	return stateCodes[code]
}

// capErr cuts s to at most maxErrLen bytes, on a rune boundary.
func capErr(s string) string {
	if len(s) <= maxErrLen {
		return s
	}
	// A rune cut in two is invalid UTF-8; drop what is left of it.
	return strings.ToValidUTF8(s[:maxErrLen], "")
}

// targetsOf returns the ids of mirror's targets, with their keys; tree ""
// means every tree.
func (c *CheckerDB) targetsOf(ctx context.Context, mirror, tree string) (map[int64]checker.Key, error) {
	rows, err := c.db.QueryContext(ctx,
		`SELECT id, tree, proto, family FROM targets WHERE mirror = ?1 AND (?2 = '' OR tree = ?2)`, mirror, tree)
	if err != nil {
		return nil, fmt.Errorf("read targets of %s: %w", mirror, err)
	}
	defer rows.Close()
	out := map[int64]checker.Key{}
	for rows.Next() {
		var id int64
		k := checker.Key{Mirror: mirror}
		if err := rows.Scan(&id, &k.Tree, &k.Proto, &k.Family); err != nil {
			return nil, fmt.Errorf("read targets of %s: %w", mirror, err)
		}
		out[id] = k
	}
	return out, rows.Err()
}

// Recent returns up to n of the latest results for tree on mirror, over
// every protocol and family, newest first. Times are whole seconds, lags
// whole seconds and latencies whole milliseconds.
func (c *CheckerDB) Recent(ctx context.Context, mirror, tree string, n int) ([]checker.Result, error) {
	if n <= 0 || tree == "" {
		return nil, nil
	}
	targets, err := c.targetsOf(ctx, mirror, tree)
	if err != nil {
		return nil, err
	}
	var out []checker.Result
	for id, k := range targets {
		rs, err := c.recentOf(ctx, id, k, n)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	slices.SortStableFunc(out, func(a, b checker.Result) int { return b.At.Compare(a.At) })
	return out[:min(n, len(out))], nil
}

// recentOf returns target id's latest n results, newest first.
func (c *CheckerDB) recentOf(ctx context.Context, id int64, k checker.Key, n int) ([]checker.Result, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT at, state, stamp, signal, lag, latency, err, heartbeat
		FROM results WHERE target = ? ORDER BY at DESC LIMIT ?`, id, n)
	if err != nil {
		return nil, fmt.Errorf("read results of %s/%s: %w", k.Mirror, k.Tree, err)
	}
	defer rows.Close()
	var out []checker.Result
	for rows.Next() {
		r := checker.Result{Key: k}
		var at, lag, latency int64
		var state int
		if err := rows.Scan(&at, &state, &r.Stamp, &r.Signal, &lag, &latency, &r.Err, &r.Heartbeat); err != nil {
			return nil, fmt.Errorf("read results of %s/%s: %w", k.Mirror, k.Tree, err)
		}
		r.At = time.Unix(at, 0).UTC()
		r.State = codeState(state)
		r.Lag = time.Duration(lag) * time.Second
		r.Latency = time.Duration(latency) * time.Millisecond
		out = append(out, r)
	}
	return out, rows.Err()
}
