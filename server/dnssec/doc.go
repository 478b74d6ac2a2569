// Package dnssec owns the zone's keys and signatures: BIND-format key files
// (K<zone>+<alg>+<tag>.{key,private}, mode 0600), DS records for the parent,
// RRSIGs made as a pure function of the RRset, the keys and an injected
// time, and the NSEC chain. It never signs per query: callers sign when the
// zone changes and when signatures near expiry. It must not import agent.
package dnssec
