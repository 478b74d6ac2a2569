// Package repomd reads a yum/dnf repository's repodata/repomd.xml: Parse
// takes its revision and, per <data> entry, the checksum and timestamp,
// strictly (UTF-8, the createrepo namespace, known checksum types, hex
// digests, no duplicate types), and Fingerprint names its content so two
// copies can be compared; Fetcher gets one over HTTP(S) with the
// checker's manners (no caching, a size cap, limited redirects, verified
// TLS, one connection per fetch). Parse is pure and fuzzed.
//
// The checker uses it to tell a mirror whose TIME file arrived before
// the rest of the tree (inconsistent) from a fresh one. It imports probe
// only for the IP family and the capped reader, and nothing of the
// server's state.
package repomd
