// Package advice reads signed sync-source advice: which rsync sources
// already hold a tree at a signal, nearest first (signald's
// GET /api/v1/sync-sources). Advice is used only when its Ed25519 signature
// verifies with the pinned key, it is for the asked tree and a signal at
// least as new as the agent's, it is within its validity window, and only
// for sources whose host is on the allow-list. A source is parsed once, the
// way rsync parses it (config.ParseSource): only daemon syntax, no user, no
// ':' in the host outside an [IPv6] literal; the allow-list checks that
// parse's host and rsync is given the source rebuilt from it.
//
// Wire format. GET sync_sources.url?mirror=M&tree=T answers 200 with
//
//	{"tree":"T","signal":S,"issued":I,"expires":E,
//	 "sources":["rsync://host/module/path",…],"signature":"BASE64"}
//
// S is the signal stamp the sources were seen fresh for, I and E are Unix
// seconds. signature is the standard base64 (with padding) of the Ed25519
// signature over the canonical form: the same object without "signature",
// with exactly these keys in this order and no whitespace:
//
//	{"tree":"T","signal":S,"issued":I,"expires":E,"sources":["…","…"]}
//
// Numbers are plain decimal integers; "sources" is [] when empty. Strings
// need no escaping: the tree is a signal tree name and every source is
// printable ASCII without '"', '\\', '<', '>' or '&' (anything else is
// refused). This is the output of Go's encoding/json for the Canonical
// struct, so a Go server can build it with json.Marshal.
//
// It must not import server.
package advice
