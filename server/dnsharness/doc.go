// Package dnsharness starts real DNS servers from Debian's packages — NSD,
// Knot and unbound — on loopback with temporary directories, for tests and
// benchmarks, and stops them. NSD and Knot run as primaries (from zone
// text) or as secondaries of a primary (TSIG transfers, NOTIFY accepted
// from the primary's host); NSDWithConfig and KnotWithConfig take an
// operator's configuration text instead (contrib/secondaries), and Start
// runs any other server. Each start skips the test when the program is
// missing, or fails it under CI=true (see signal/testtool). It must not
// import agent.
package dnsharness
