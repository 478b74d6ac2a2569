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
}
