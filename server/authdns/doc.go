// Package authdns is the authoritative DNS server of signald. It owns the
// answers for the signal zone: SOA and NS at the apex with in-zone glue, the
// signal TXT record and its `_trees` layout record, DNSKEY, RRSIG and NSEC
// when the zone is signed, and the protocol behaviour around them (AA,
// NXDOMAIN versus NODATA, REFUSED outside the zone, FORMERR/NOTIMP, EDNS0,
// truncation and TCP fallback, RFC 8482 ANY, DNSSEC proofs).
//
// The design is built for throughput. Compile turns a Zone into
// an immutable Snapshot that holds every possible response already packed in
// wire format. A query is parsed straight from its bytes (no dns.Msg), looked
// up by lowercased name and type, and answered by copying the precomputed
// bytes and patching the ID, the RD/CD bits, the question (echoed exactly as
// received, so 0x20 case survives) and the EDNS size and DO bit. The server
// reads the current Snapshot through an atomic.Pointer, so Swap never blocks
// a query and a query never sees half a zone.
//
// Behaviour chosen where the RFCs leave room:
//   - Case: the question is echoed byte for byte; answer owners are
//     compressed against it and so show the query's case too, as NSD does.
//   - ANY: one RRset that exists at the name (RFC 8482 §4.2), over UDP and
//     TCP alike; see rrsets.anyChoice.
//   - Classes other than IN (CH, HS, NONE, ANY): REFUSED, as NSD without
//     CHAOS data. AXFR and IXFR: see zone transfers below.
//   - Opcodes other than QUERY (NOTIFY and UPDATE included, for now):
//     NOTIMP, with the question and OPT echoed when present.
//   - Malformed queries: a bare FORMERR (header only, ID, opcode and RD
//     kept); a query with no question, or with answer or authority records,
//     gets FORMERR with what could be echoed. More than one OPT is FORMERR
//     (RFC 6891 §6.1.1); EDNS version above 0 is BADVERS.
//   - A message with QR set, or shorter than a header, is dropped without
//     an answer, as NSD and miekg do: answering responses lets two
//     servers loop on each other through a spoofed source.
//   - Negative answers carry the SOA with TTL min(SOA TTL, MINIMUM)
//     (RFC 2308 §3); names between the apex and the data (empty
//     non-terminals) are NODATA, everything else below the apex that does
//     not exist is NXDOMAIN; names outside the zone are REFUSED without AA.
//   - UDP answers are capped at min(client EDNS size, MaxUDPSize), or 512
//     without EDNS. An NS answer that does not fit drops its glue first
//     (optional in an authoritative answer, which is no referral; NSD too
//     omits glue that does not fit); an answer that still does not fit is
//     sent with TC set and only the question and OPT, and the whole answer
//     (with all glue) comes over TCP. The DO bit is echoed in our OPT (RFC
//     3225).
//   - Answers are compressed. Those that serve any name (NXDOMAIN and its
//     proofs) are compressed within themselves and their pointers moved
//     past the question per query (compress.go).
//   - A panic while answering gives a bare SERVFAIL to that query only and
//     is logged once per minute at most.
//
// DNSSEC (signing.go, dnssec_answers.go, nsec_lookup.go). This package
// never signs: the caller signs the RRsets Zone.RRsets lists (with
// server/dnssec, on change and before expiry) and passes the signatures in
// Zone.DNSSEC; Compile verifies that they cover exactly what is served and
// precomputes a DO variant of every answer. Choices:
//   - Without DO an answer is byte for byte what the unsigned zone gives,
//     except that DNSKEY, NSEC and RRSIG exist as types: asking for them
//     by name returns them (without signatures).
//   - With DO every RRset in the answer and authority sections comes with
//     its RRSIGs, and so does the glue of an NS answer. If that does not
//     fit, the glue's RRSIGs go first (RFC 4035 §3.1.1, without TC), then
//     the glue; only an answer whose answer and authority sections do not
//     fit gets TC. AD is never set; CD is copied; DO is echoed in our OPT.
//   - NODATA: SOA, the NSEC at the name, their RRSIGs; at an empty
//     non-terminal, the NSEC that covers it. NXDOMAIN: SOA, the NSEC
//     covering the name and the one covering the wildcard at its closest
//     encloser (once if the same), each with its RRSIG. These depend on the
//     NSEC interval and closest encloser, found per query by binary search
//     over canonical keys and map lookups of the name's ancestors, without
//     allocating; the answers themselves are precomputed per pair.
//   - qtype RRSIG: every RRSIG at the name, by type covered (as BIND).
//   - NSEC TTL is min(SOA TTL, MINIMUM) (RFC 9077); the SOA RRSIG in a
//     negative answer takes the SOA's lowered TTL; DNSKEY takes the zone TTL.
//
// Zone transfers and TSIG (transfer.go, tsig.go). They leave the
// precomputed path, as do all TSIG-signed queries; both are rare.
//   - AXFR and IXFR over TCP only. Over UDP both get REFUSED (signed when
//     the request was): AXFR is TCP-only (RFC 5936 §4.2), and we chose
//     not to offer RFC 1995's UDP IXFR either.
//   - Access (Config.Transfer): a valid TSIG (hmac-sha256) with one of
//     Keys, or a source in AllowFrom; with RequireBoth, both. Unsigned and
//     not allowed: REFUSED. Bad TSIG: NOTAUTH with TSIG error BADKEY
//     (unknown key or algorithm) or BADSIG, unsigned, or BADTIME, signed
//     (RFC 8945 §5.2). Another zone: NOTAUTH. Each refusal is logged,
//     at most one line per second (with the number left out); nothing else
//     changes.
//   - IXFR is answered with the whole zone, AXFR-style (RFC 1995 §4), or
//     with the SOA alone when the client's serial is not older (§2).
//   - A transfer is Snapshot.Records plus the closing SOA, from the
//     snapshot current when it starts, in messages of about 16 KiB, each
//     TSIG-signed when the request was (RFC 8945 §5.3.1).
//   - Any other query signed with a configured key is answered by the
//     normal path and then signed, so secondaries' signed SOA checks work.
//
// The transports are hand-written rather than miekg's dns.Server, whose
// handler interface unpacks every query into a dns.Msg and which spawns one
// goroutine per UDP packet. Resources are bounded:
//   - UDP: a fixed set of UDPWorkers reader goroutines (one per P), each
//     with its own buffers for one batch; the kernel's socket buffer
//     queues the rest and drops beyond it. On Linux each worker has its
//     own socket, all bound to the address with SO_REUSEPORT, so that
//     workers on several cores do not take turns at one socket (see
//     udpSocketCount); a worker takes up to
//     udpBatchSize queued datagrams with one recvmmsg and sends their
//     answers with one sendmmsg (udp_linux.go); each datagram is answered
//     on its own, with its own rate-limit decision and panic recovery, so
//     one bad packet costs only itself. The calls are made through
//     syscall.RawConn as raw system calls, which do not hand the P to
//     another thread: on a non-blocking socket they cannot block, and
//     with ordinary calls sysmon took the P from a worker busy in sendto
//     and woke another thread, which together cost about a tenth of the
//     CPU under load. A datagram longer than udpQueryMax (4 KiB) is cut
//     by the kernel and gets a bare FORMERR. Elsewhere a worker reads
//     and answers one datagram at a time (udp_other.go).
//   - TCP: one goroutine per connection, at most MaxTCPConns. At the cap a
//     new connection closes the one idle the longest (waiting for the
//     length of its next query), so idle or slow-loris connections cannot
//     keep resolvers out; only when every connection is busy in a message
//     does the new one wait (conns.go). We chose eviction over reserving
//     slots: a reserve is itself filled by the same attack.
//   - Per connection: the wait for a query is bounded by TCPIdleTimeout,
//     the rest of the message by TCPReadTimeout, every write by
//     TCPWriteTimeout; one query is answered at a time (pipelined queries
//     wait in a tcpBufSize read buffer and then in TCP flow control, so
//     at most one query is in flight per connection), and MaxTCPQueries
//     optionally caps the queries per connection.
//
// Response rate limiting (ratelimit.go, with server/rrl), UDP only, when
// Config.RRL is set: every UDP message that gets an answer costs its
// source prefix a token; over the limit the answer is dropped, or every
// Slip-th one is "slipped": TC set, the question and OPT only, never
// larger than the query, so a real resolver retries over TCP, which is
// never limited. Limited signed queries and IXFR are dropped, not slipped
// (a truncated answer would need a TSIG). A limited prefix is logged at
// most once a minute. Without RRL the UDP path does no extra work; with
// it, it allocates nothing.
//
// miekg/dns is used only here (to pack answers at compile time and in tests)
// so that a later move to its v2 stays local. This package must not import
// agent (nor any other server component but server/dnssec, for the key and
// signature types and the NSEC chain, and server/rrl, the rate limiter); it
// imports signal for the record.
package authdns
