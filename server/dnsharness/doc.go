// Package dnsharness starts real DNS servers from Debian's packages — NSD,
// Knot and unbound — on loopback with temporary directories, for tests and
// benchmarks, and stops them. Each start skips the test when the program is
// missing, or fails it under CI=true (see signal/testtool). It must not
// import agent.
package dnsharness
