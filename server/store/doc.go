// Package store keeps signald's state that must survive a crash: each tree's
// published timestamp, the SOA serial and the publish events. It is an
// embedded SQLite database (modernc.org/sqlite, no cgo) in WAL mode with
// synchronous=FULL, so a committed publish survives `kill -9` and power loss.
// It must not import agent.
//
// # Schema versions
//
// The schema is a numbered list of migrations (storeMigrations in
// schema.go); a database records the last one applied in PRAGMA
// user_version. Open applies the missing ones, each in one transaction
// together with its version bump, so a crash mid-migration leaves the
// previous version intact. Version 1 is the schema of the unversioned store,
// which left user_version at 0; testdata/v0.db is such a database. A
// database at a version above the list comes from a newer signald and is
// refused without being written. New tables (the publisher's publishes, for
// one) are new migrations appended to the list; shipped ones never change.
//
// # Checker history
//
// The checker's probe history does not live in signald.db. It is written
// thousands of rows every few minutes and thinned as it ages, while the
// publish state is written rarely and must never be lost. It is a second
// SQLite file, checker.db in state_dir (CheckerDB, checkerdb.go), handed to
// the checker as its sink, so the checker does not import store. It has
// its own migration list (checkerMigrations) run by the same migrate
// function, WAL with synchronous=NORMAL (a crash may lose the last round,
// which the next round measures again), and one transaction per check
// round. A busy checker then never holds the lock a publish commit needs,
// and checker.db can be deleted without touching the signal state.
//
// It holds every probe result (per mirror, tree, protocol and family),
// when each mirror was first seen with each published stamp (the
// propagation of a publish, which a restart must not lose), and the
// per-mirror figures and recent history the status page shows are read
// from it. Thin keeps every result for 48 hours, then the worst of each
// hour for 30 days, then the worst of each day for a year (Policy), in
// short transactions; first-fresh times are kept for the year.
package store
