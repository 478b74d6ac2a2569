package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNewerSchema is returned by Open when the database was written by a
// newer signald whose schema this one does not know.
var ErrNewerSchema = errors.New("newer schema")

// A migration moves a database from version N-1 to N, where N is its
// position in its list counting from 1. It runs in one transaction with the
// user_version bump, so it cannot change journal_mode or foreign_keys.
type migration struct {
	name string
	sql  string
}

// migrate brings db (the file at path) to len(migrations), the version kept
// in PRAGMA user_version. Each step holds the write lock (BEGIN IMMEDIATE)
// and rereads the version, so two processes opening the same file apply
// each step once. A database newer than the list is refused untouched.
func migrate(ctx context.Context, db *sql.DB, path string, migrations []migration) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	defer conn.Close()
	for {
		done, err := step(ctx, conn, path, migrations)
		if err != nil || done {
			return err
		}
	}
}

// step applies the migration after the database's current version, if any,
// and reports whether the database was already up to date.
func step(ctx context.Context, conn *sql.Conn, path string, migrations []migration) (done bool, err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return false, fmt.Errorf("migrate %s: %w", path, err)
	}
	defer func() {
		if err != nil || done {
			// A background context: the rollback must run even when ctx is done.
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("migrate %s: read schema version: %w", path, err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("%w: store %s has schema version %d, this signald knows up to %d: refusing to open (downgrade?)", ErrNewerSchema, path, v, len(migrations))
	case v == len(migrations):
		return true, nil
	}
	m := migrations[v]
	if _, err := conn.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migrate %s to version %d (%s): %w", path, v+1, m.name, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migrate %s to version %d: %w", path, v+1, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("migrate %s to version %d: commit: %w", path, v+1, err)
	}
	return false, nil
}
