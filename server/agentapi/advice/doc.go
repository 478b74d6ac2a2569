// Package advice serves signed sync-source advice to mirror agents:
// GET /api/v1/sync-sources?mirror=M&tree=T answers which rsync sources the
// checker has seen fresh for tree T, nearest to mirror M first, signed with
// signald's Ed25519 advice key (package advicekey) so that an agent with
// the pinned public key can verify it. The wire format and the canonical
// form the signature covers are fixed by contrib/agent/README.md
// ("Sync-source advice") and the agent's parser, agent/advice:
//
//	{"tree":"T","signal":S,"issued":I,"expires":E,"sources":[…],"signature":"BASE64"}
//
// signed over {"tree":…,"signal":…,"issued":…,"expires":…,"sources":[…]}
// exactly (encoding/json of Canonical). S is the tree's signal in the
// checker's view, the stamp every advised source was seen at or past.
//
// Which sources. A candidate is a mirror other than M with an rsync URL
// for T whose latest best probe of T is fresh for S: opted-in mirrors
// (sync_source = true) and tier-1 mirrors. They are ordered by group:
//
//  1. opted-in mirrors whose netblocks overlap one of M's,
//  2. then those in M's country,
//  3. then those on M's continent,
//  4. then the other opted-in mirrors,
//  5. tier-1 mirrors last, themselves in that proximity order;
//
// inside a group by lag (fresh mirrors have none, so this only matters if
// the rule widens), then the most recently confirmed first, then
// mirrors.toml order. At most MaxSources are handed out.
//
// Fan-out cap. So that one nearby source is not stampeded by every mirror
// of a region, each source is handed to at most FanOut distinct mirrors in
// any Window (a sliding window per source; a mirror asking again within
// the window is not counted twice). A source at its cap is skipped and the
// next candidate taken. The cap covers tier-1 sources too: the agent falls
// back to its configured sources anyway.
//
// The advice does not name M (the fixed format has no such field), and M
// is not authenticated: advice is public and only orders sources the
// agent already allow-lists. Someone asking under many mirror names can
// use up the caps; agents then get fewer advised sources and use their
// configured ones.
//
// It reads the fleet and the checker's view through functions given to
// New and never changes them. It must not import agent/ (the tests do, to
// prove interop), the store, or anything that speaks DNS.
package advice
