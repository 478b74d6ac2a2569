// Package rfc2136 publishes the signal into an existing DNS primary (BIND,
// Knot, PowerDNS) by RFC 2136 dynamic update signed with TSIG, for shops that
// already run DNS and do not want signald to serve the zone. It replaces the
// signal TXT and `_trees` TXT RRsets in one update message. It must not
// import agent.
package rfc2136
