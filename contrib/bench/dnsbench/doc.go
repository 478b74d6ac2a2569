// Package dnsbench measures signald's authoritative DNS against NSD and
// Knot on one machine, in one run: signald serves its signed
// zone, NSD and Knot transfer it (AXFR) as secondaries, and dnsperf loads
// each server in turn with the same query file and duration. Servers are
// pinned to one core and dnsperf to another; every server runs with one
// worker and without response rate limiting.
//
// Each measurement is two dnsperf runs: one as fast as the server answers,
// for qps and CPU, and one at a fixed rate for latency. Latency
// percentiles come from dnsperf's verbose mode (-v), which prints each
// query's latency; dnsperf writes them to a file and they are read after
// the run, so that this process takes no CPU during a measurement.
//
// The package drives programs (signald, nsd, knotd, dnsperf, taskset) and
// is used by contrib/bench/cmd/dnsbench; it imports miekg/dns only to check
// readiness and that all servers give the same answers. It measures the
// built signald binary, so it must not import server (its tests load the
// generated configuration with server/config) nor agent.
package dnsbench
