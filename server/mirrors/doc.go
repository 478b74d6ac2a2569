// Package mirrors owns mirrors.toml, the list of mirrors and repos that
// the publisher's quorum gate (tier-1 hosts), the checker and later the
// mirrorlist and metalink read: each [[mirror]] with its country and
// continent, tier, bandwidth, netblocks, IP families and per-tree base
// URLs; each [[repo]] with the tree and path that hold its repodata/. It
// also owns the ISO 3166-1 country → continent table (Continent).
//
// Parsing is strict and pure. Unknown keys are errors, and every problem is
// reported at once, each an *Error naming the file, the entry (a mirror by
// name, or by index when it has no valid name) and the key. Each entry's
// keys are checked by hand rather than through toml's MetaData.Undecoded,
// because that names a key inside an array of tables without its index.
// The tree names come from signald.toml's layout, passed in by the caller.
//
// A *Fleet never changes once Parse returns it. Reloading on SIGHUP means:
// the caller parses the file into a new Fleet and swaps it in atomically
// (an atomic.Pointer); when the new file is broken it logs the errors and
// keeps serving the old Fleet. Keeping the checker's state across the swap
// is the checker's business: mirrors are matched by name.
//
// It imports only the standard library, BurntSushi/toml and package
// signal: never server/config, the store, or anything that speaks DNS.
package mirrors
