// Package authdns is the authoritative DNS server of signald. It owns the
// answers for the signal zone: SOA and NS at the apex with in-zone glue, the
// signal TXT record and its `_trees` layout record, and the protocol
// behaviour around them (AA, NXDOMAIN versus NODATA, REFUSED outside the
// zone, FORMERR/NOTIMP, EDNS0, truncation and TCP fallback, RFC 8482 ANY).
//
// The design is built for throughput (DESIGN §5). Compile turns a Zone into
// an immutable Snapshot that holds every possible response already packed in
// wire format. A query is parsed straight from its bytes (no dns.Msg), looked
// up by lowercased name and type, and answered by copying the precomputed
// bytes and patching the ID, the RD/CD bits, the question (echoed exactly as
// received, so 0x20 case survives) and the EDNS size and DO bit. The server
// reads the current Snapshot through an atomic.Pointer, so Swap never blocks
// a query and a query never sees half a zone.
//
// Behaviour chosen where the RFCs leave room (DESIGN §3.3):
//   - Case: the question is echoed byte for byte; answer owners are
//     compressed against it and so show the query's case too, as NSD does.
//   - ANY: one RRset that exists at the name (RFC 8482 §4.2), over UDP and
//     TCP alike; see rrsets.anyChoice.
//   - Classes other than IN (CH, HS, NONE, ANY): REFUSED, as NSD without
//     CHAOS data. AXFR and IXFR: REFUSED until transfers are implemented.
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
//     without EDNS. An answer that does not fit is sent with TC set and
//     only the question and OPT; the whole answer (with all glue, RFC
//     9471) comes over TCP. The DO bit is echoed in our OPT (RFC 3225).
//   - A panic while answering gives a bare SERVFAIL to that query only and
//     is logged once per minute at most.
//
// The transports are hand-written rather than miekg's dns.Server, whose
// handler interface unpacks every query into a dns.Msg and which spawns one
// goroutine per UDP packet: UDP is served by a fixed set of reader
// goroutines, TCP by one goroutine per connection under a connection cap, an
// idle timeout and an optional per-connection query limit.
//
// miekg/dns is used only here (to pack answers at compile time and in tests)
// so that a later move to its v2 stays local. This package must not import
// agent (nor any other server component); it imports signal for the record.
package authdns
