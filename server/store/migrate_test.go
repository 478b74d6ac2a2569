package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenUpgradesV0 opens testdata/v0.db, written by the store before its
// schema was versioned (see testdata/README.md), and checks that the state
// survives the upgrade to the latest version.
func TestOpenUpgradesV0(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0).UTC()
	wantState := State{Serial: 1_800_003_600, Stamps: map[string]int64{"content": 1_699_999_000, "altarch": 1_700_000_050}}
	wantEvents := []Event{
		{4, "content", 1_699_999_000, 1_700_000_100, true, 1_800_000_030, t0.Add(30 * time.Second)},
		{3, "content", 1_700_000_100, 1_700_000_000, false, 1_800_000_020, t0.Add(20 * time.Second)},
		{2, "altarch", 1_700_000_050, 0, false, 1_800_000_010, t0.Add(10 * time.Second)},
		{1, "content", 1_700_000_000, 0, false, 1_800_000_000, t0},
	}
	for _, withMarker := range []bool{true, false} {
		t.Run(fmt.Sprintf("marker=%v", withMarker), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "signald.db")
			copyFile(t, filepath.Join("testdata", "v0.db"), path)
			if withMarker {
				copyFile(t, filepath.Join("testdata", "v0.db.initialized"), path+".initialized")
			}
			s := open(t, path)
			if v := userVersion(t, s.db); v != len(storeMigrations) {
				t.Fatalf("user_version after upgrade = %d, want %d", v, len(storeMigrations))
			}
			st, err := s.State(ctx)
			if err != nil || !reflect.DeepEqual(st, wantState) {
				t.Fatalf("state = %+v, %v; want %+v", st, err, wantState)
			}
			evs, err := s.Events(ctx, 10)
			if err != nil || !reflect.DeepEqual(evs, wantEvents) {
				t.Fatalf("events = %+v, %v; want %+v", evs, err, wantEvents)
			}
			if _, err := os.Stat(path + ".initialized"); err != nil {
				t.Fatalf("marker after upgrade: %v", err)
			}
			ev, err := s.Publish(ctx, "content", 1_700_001_000, false, t0.Add(2*time.Hour))
			if err != nil || ev.ID != 5 || ev.Previous != 1_699_999_000 || ev.Serial != uint32(t0.Add(2*time.Hour).Unix()) {
				t.Fatalf("publish after upgrade = %+v, %v", ev, err)
			}
		})
	}
}

func TestOpenFreshGetsAllMigrations(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "signald.db"))
	if v := userVersion(t, s.db); v != len(storeMigrations) {
		t.Fatalf("user_version = %d, want %d", v, len(storeMigrations))
	}
	for _, table := range []string{"meta", "trees", "events"} {
		var n int
		if err := s.db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, %v", table, n, err)
		}
	}
}

// TestOpenRefusesNewerSchema: a database from a newer signald is refused
// with both versions named, and its file is left byte for byte as it was.
func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "signald.db")
	s := open(t, path)
	if _, err := s.Publish(ctx, "content", 1_700_000_000, false, time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	newer := len(storeMigrations) + 6
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, path)
	if !errors.Is(err, ErrNewerSchema) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("opened a newer store: err = %v", err)
	}
	for _, want := range []string{path, fmt.Sprintf("schema version %d", newer), fmt.Sprintf("knows up to %d", len(storeMigrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("refusing a newer store modified its file")
	}
}

func openTestDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB(filepath.Join(t.TempDir(), "test.db"), "NORMAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrate runs a two-step list from every starting version: each step
// runs once, in order, and a database ahead of the list is refused.
func TestMigrate(t *testing.T) {
	steps := []migration{
		{"log", "CREATE TABLE log (v INTEGER NOT NULL); INSERT INTO log VALUES (1);"},
		{"second", "INSERT INTO log VALUES (2);"},
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		from    []migration // applied first, to reach the starting version
		wantErr error
	}{
		{"fresh", nil, nil},
		{"at 1", steps[:1], nil},
		{"at 2", steps, nil},
		{"ahead", append(steps[:2:2], migration{"unknown", "SELECT 1"}), ErrNewerSchema},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			if err := migrate(ctx, db, "test.db", tt.from); err != nil {
				t.Fatal(err)
			}
			err := migrate(ctx, db, "test.db", steps)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("migrate: err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if v := userVersion(t, db); v != len(tt.from) {
					t.Fatalf("user_version after refusal = %d, want %d", v, len(tt.from))
				}
				return
			}
			if v := userVersion(t, db); v != len(steps) {
				t.Fatalf("user_version = %d, want %d", v, len(steps))
			}
			var log string
			if err := db.QueryRow("SELECT group_concat(v, ',') FROM log").Scan(&log); err != nil || log != "1,2" {
				t.Fatalf("log = %q, %v; want each step once, in order", log, err)
			}
		})
	}
}

// TestMigrateFailedStepLeavesOldVersion: a step that fails half-way leaves
// neither its changes nor its version behind, as a kill -9 would.
func TestMigrateFailedStepLeavesOldVersion(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	first := migration{"a", "CREATE TABLE a (x INTEGER);"}
	broken := []migration{first, {"b", "CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1); INSERT INTO nosuch VALUES (1);"}}
	if err := migrate(ctx, db, "test.db", broken); err == nil || !strings.Contains(err.Error(), "version 2 (b)") {
		t.Fatalf("broken migration: err = %v", err)
	}
	if v := userVersion(t, db); v != 1 {
		t.Fatalf("user_version after failed step = %d, want 1", v)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table b after failed step: count %d, %v", n, err)
	}
	fixed := []migration{first, {"b", "CREATE TABLE b (x INTEGER);"}}
	if err := migrate(ctx, db, "test.db", fixed); err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, db); v != 2 {
		t.Fatalf("user_version after fix = %d, want 2", v)
	}
}
