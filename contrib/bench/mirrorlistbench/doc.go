// Package mirrorlistbench measures GET /mirrorlist requests per second of
// signald's handler (server/mirrorlist, served by server/httpserve as
// signald serves it) against nginx serving the identical bytes as a
// static file, on one machine, in one run: each server pinned to one
// core with taskset, wrk on another, `wrk -t1 -c64` for a fixed
// duration, servers alternating within each round. The handler serves a
// fixture snapshot (server/status/statustest.Fleet with N mirrors); the
// static file is one response of that handler, so both answer with the
// same body at the same URL.
//
// A last, unmeasured load run takes a CPU profile of the handler through
// net/http/pprof on a separate loopback listener of the serving child
// and reports the top of it.
//
// The serving child is this program run again with -serve (ServeChild).
// The package drives programs (nginx, wrk, taskset, go tool pprof) and
// is used by contrib/bench/cmd/mirrorlistbench.
package mirrorlistbench
