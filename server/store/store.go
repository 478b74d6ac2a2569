package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrBackwards is returned when a publish would move a tree's timestamp
// backwards without force.
var ErrBackwards = errors.New("timestamp would go backwards")

// ErrCorrupt is returned by Open when the database fails its integrity check.
var ErrCorrupt = errors.New("store is corrupt")

// Store is the state database.
type Store struct {
	db   *sql.DB
	path string
}

// State is what the zone is built from.
type State struct {
	Serial uint32
	Stamps map[string]int64
}

// Event is one committed publish.
type Event struct {
	ID       int64
	Tree     string
	Stamp    int64
	Previous int64
	Forced   bool
	Serial   uint32
	At       time.Time
}

// Open opens or creates the database at path, checks its integrity and
// brings its schema to the latest version. A database from a newer signald
// is refused with ErrNewerSchema and left as it is.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := openDB(path, "FULL")
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// openDB opens the SQLite file at path in WAL mode with the given
// synchronous setting, on one connection.
func openDB(path, synchronous string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(" + synchronous + ")", "busy_timeout(5000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func (s *Store) init(ctx context.Context) error {
	if err := checkIntegrity(ctx, s.db, s.path); err != nil {
		return err
	}
	if err := migrate(ctx, s.db, s.path, storeMigrations); err != nil {
		return err
	}
	return s.checkNotReplaced(ctx)
}

func checkIntegrity(ctx context.Context, db *sql.DB, path string) error {
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("%w: %s: %v (restore it from a backup or move it aside; signald will not serve a possibly regressed signal)", ErrCorrupt, path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s: integrity check says %q (restore it from a backup or move it aside)", ErrCorrupt, path, res)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// State returns the serial and every tree's stamp.
func (s *Store) State(ctx context.Context) (State, error) {
	st := State{Stamps: map[string]int64{}}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("read state: %w", err)
	}
	defer tx.Rollback()
	st.Serial, err = serial(ctx, tx)
	if err != nil {
		return st, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT name, stamp FROM trees")
	if err != nil {
		return st, fmt.Errorf("read trees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var stamp int64
		if err := rows.Scan(&name, &stamp); err != nil {
			return st, fmt.Errorf("read trees: %w", err)
		}
		st.Stamps[name] = stamp
	}
	return st, rows.Err()
}

// BumpSerial moves the serial to max(serial+1, now) and returns it. signald
// calls it at start, so every start serves a serial above any served before.
func (s *Store) BumpSerial(ctx context.Context, now time.Time) (uint32, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("bump serial: %w", err)
	}
	defer tx.Rollback()
	next, err := bump(ctx, tx, now)
	if err != nil {
		return 0, err
	}
	if err := s.commit(tx); err != nil {
		return 0, err
	}
	if _, err := os.Stat(s.markerPath()); errors.Is(err, fs.ErrNotExist) {
		return next, s.mark()
	}
	return next, nil
}

// Publish sets tree's stamp, bumps the serial and records an event, in one
// transaction. Without force a stamp older than the current one is refused
// with ErrBackwards.
func (s *Store) Publish(ctx context.Context, tree string, stamp int64, force bool, now time.Time) (Event, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Event{}, fmt.Errorf("publish: %w", err)
	}
	defer tx.Rollback()
	ev, err := applyStamp(ctx, tx, tree, stamp, force, now)
	if err != nil {
		return ev, err
	}
	return ev, s.commit(tx)
}

// applyStamp sets tree's stamp, bumps the serial and records the event
// inside tx.
func applyStamp(ctx context.Context, tx *sql.Tx, tree string, stamp int64, force bool, now time.Time) (Event, error) {
	ev := Event{Tree: tree, Stamp: stamp, Forced: force, At: now.UTC().Truncate(time.Second)}
	err := tx.QueryRowContext(ctx, "SELECT stamp FROM trees WHERE name = ?", tree).Scan(&ev.Previous)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ev, fmt.Errorf("publish: read %s: %w", tree, err)
	}
	if stamp < ev.Previous && !force {
		return ev, fmt.Errorf("%w: %s is at %d, asked for %d (use --force)", ErrBackwards, tree, ev.Previous, stamp)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO trees(name, stamp) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET stamp = excluded.stamp", tree, stamp); err != nil {
		return ev, fmt.Errorf("publish: write %s: %w", tree, err)
	}
	if ev.Serial, err = bump(ctx, tx, now); err != nil {
		return ev, err
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO events(tree, stamp, previous, forced, serial, at) VALUES(?, ?, ?, ?, ?, ?)",
		tree, stamp, ev.Previous, force, ev.Serial, ev.At.Unix())
	if err != nil {
		return ev, fmt.Errorf("publish: record event: %w", err)
	}
	if ev.ID, err = res.LastInsertId(); err != nil {
		return ev, fmt.Errorf("publish: record event: %w", err)
	}
	return ev, nil
}

// Events returns up to limit events, newest first.
func (s *Store) Events(ctx context.Context, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, tree, stamp, previous, forced, serial, at FROM events ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var at int64
		if err := rows.Scan(&ev.ID, &ev.Tree, &ev.Stamp, &ev.Previous, &ev.Forced, &ev.Serial, &at); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		ev.At = time.Unix(at, 0).UTC()
		out = append(out, ev)
	}
	return out, rows.Err()
}

func serial(ctx context.Context, tx *sql.Tx) (uint32, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'serial'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read serial: %w", err)
	}
	return uint32(v), nil
}

// nextSerial is max(prev+1, now) in Unix seconds. Serials stay below 2^32
// until 2106.
func nextSerial(prev uint32, now time.Time) uint32 {
	return max(prev+1, uint32(now.Unix()))
}

func bump(ctx context.Context, tx *sql.Tx, now time.Time) (uint32, error) {
	prev, err := serial(ctx, tx)
	if err != nil {
		return 0, err
	}
	next := nextSerial(prev, now)
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES('serial', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", next); err != nil {
		return 0, fmt.Errorf("write serial: %w", err)
	}
	return next, nil
}

func (s *Store) commit(tx *sql.Tx) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit to %s: %w", s.path, err)
	}
	return nil
}

// Ping checks that the database still answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	return nil
}
