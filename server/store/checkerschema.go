package store

// checkerMigrations is the schema of checker.db, oldest first. Append to
// it; never edit or reorder a migration that has shipped.
var checkerMigrations = []migration{
	// Version 1. A target is one (mirror, tree, protocol, family); results
	// refer to it by id, so a row is a handful of integers. results is
	// keyed by (target, at): one result per target per second, and reading
	// or thinning a target's span is one range of the key. state is the
	// index of the checker's state in its best-first order (see
	// stateCodes), so the worst of a set is its max. meta holds how far
	// Thin has gone.
	{"targets, results, first_fresh and meta", `
CREATE TABLE targets (
	id     INTEGER PRIMARY KEY,
	mirror TEXT NOT NULL,
	tree   TEXT NOT NULL,
	proto  TEXT NOT NULL,
	family TEXT NOT NULL,
	UNIQUE (mirror, tree, proto, family)
) STRICT;
CREATE TABLE results (
	target    INTEGER NOT NULL,
	at        INTEGER NOT NULL,
	state     INTEGER NOT NULL,
	stamp     INTEGER NOT NULL,
	signal    INTEGER NOT NULL,
	lag       INTEGER NOT NULL,
	latency   INTEGER NOT NULL,
	err       TEXT    NOT NULL,
	heartbeat INTEGER NOT NULL,
	PRIMARY KEY (target, at)
) STRICT, WITHOUT ROWID;
CREATE TABLE first_fresh (
	tree   TEXT    NOT NULL,
	stamp  INTEGER NOT NULL,
	mirror TEXT    NOT NULL,
	at     INTEGER NOT NULL,
	UNIQUE (tree, stamp, mirror)
) STRICT;
CREATE INDEX first_fresh_by_at ON first_fresh(at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
`},
}
