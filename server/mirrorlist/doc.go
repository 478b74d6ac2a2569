// Package mirrorlist serves yum/dnf's GET /mirrorlist (plain text, one
// URL per line) and GET /metalink (MirrorManager's metalink 3.0 dialect
// with the mm0 namespace, which dnf verifies repomd.xml against), and
// tracks the master's repomd.xml versions that the metalink publishes.
//
// Serving reads only the read model (server/status): a Source's current
// Snapshot, indexed once per snapshot (StatusChanged) into per repo and
// arch host lists grouped by country and continent, with every URL
// already rendered, and swapped atomically. A request then costs a
// parse, a netblock lookup, a weighted shuffle of its groups and one
// write. This is what lets a read-only replica (server/replica) serve it
// from an exported snapshot.
//
// MasterTracker (primary only) reads the master's repodata/repomd.xml of
// every repo and arch when the signal moves and periodically, and keeps
// its versions with the times they were seen and replaced, for the status
// builder's Snapshot.Repos.
//
// The package imports server/status, server/mirrors (continents, repo
// definitions), server/repomd (parsing), geo (client country) and
// signal/atomicfile; it must not import the checker, the store or the
// other HTTP surfaces.
package mirrorlist
