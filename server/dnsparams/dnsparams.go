// Package dnsparams holds the DNS protocol parameters that more than one
// server component must agree on, so that each is written once: the TSIG
// fudge of the messages signald signs (notify, rfc2136), and the defaults of
// the authoritative server that authdns applies to a zero Config field and
// config applies to signald.toml. It is constants only: it uses the
// standard library only and must not import anything of the project, so
// that config can use it without pulling in miekg/dns or a server.
package dnsparams

import "time"

// TSIG (RFC 8945).
const (
	// TSIGFudgeSeconds is the Fudge field, in seconds, of every TSIG record
	// signald signs (NOTIFY, dynamic updates): how far the receiver's clock
	// may differ from ours. RFC 8945 §10 recommends 300. An answer signed
	// by authdns carries the fudge of the request instead (§5.3).
	TSIGFudgeSeconds = 300
)

// Defaults of the authoritative server: dns.* in signald.toml, and the
// zero fields of authdns.Config.
const (
	// DefaultMaxUDPSize is the largest UDP payload we send and the size we
	// advertise in OPT: 1232 avoids IP fragmentation on any path with an
	// MTU of 1280 (DNS Flag Day 2020).
	DefaultMaxUDPSize = 1232

	// DefaultTCPIdleTimeout closes a TCP connection that sent no query for
	// this long (RFC 7766 §6.2.3 asks for seconds, not minutes; Knot uses 10s).
	DefaultTCPIdleTimeout = 10 * time.Second

	// DefaultMaxTCPConns caps concurrent TCP connections. NSD's tcp-count
	// is 100; we allow more because at the cap a new connection closes the
	// one idle the longest rather than being refused, and each costs only
	// a goroutine and its buffers.
	DefaultMaxTCPConns = 1024
)
