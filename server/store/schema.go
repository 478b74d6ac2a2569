package store

// storeMigrations is the schema of signald.db, oldest first. Append to it;
// never edit or reorder a migration that has shipped.
var storeMigrations = []migration{
	// Version 1 is the schema signald created before it was versioned, word
	// for word. IF NOT EXISTS lets it adopt a database from that time, which
	// has these tables at user_version 0.
	{"meta, trees and events", `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS trees (name TEXT PRIMARY KEY, stamp INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	tree     TEXT    NOT NULL,
	stamp    INTEGER NOT NULL,
	previous INTEGER NOT NULL,
	forced   INTEGER NOT NULL,
	serial   INTEGER NOT NULL,
	at       INTEGER NOT NULL
) STRICT;
`},
	// Version 2: the publish workflow (planned → planted → gating →
	// committed, or timed_out, failed, cancelled) and, per publish, when
	// each tier-1 host was first seen with the new stamp.
	{"publishes and publish_hosts", `
CREATE TABLE publishes (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	tree     TEXT    NOT NULL,
	stamp    INTEGER NOT NULL,
	forced   INTEGER NOT NULL,
	state    TEXT    NOT NULL,
	reason   TEXT    NOT NULL DEFAULT '',
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	deadline INTEGER NOT NULL DEFAULT 0,
	event_id INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX publishes_by_state ON publishes(state);
CREATE TABLE publish_hosts (
	publish_id INTEGER NOT NULL REFERENCES publishes(id),
	host       TEXT    NOT NULL,
	stamp      INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	PRIMARY KEY (publish_id, host)
) STRICT;
`},
}
