package authdns

// Answer appends to dst the response to msg from the current Snapshot and
// returns it, or returns nil when msg gets no response (shorter than a
// header, or a response itself). It is the path of a TCP query — the same
// precomputed wire patched the same way, never truncated — for transports
// that carry DNS messages in another protocol: DNS over HTTPS (RFC 8484).
// Zone transfers and TSIG-signed queries, which need the TCP connection
// and the transfer ACL, are not served here: AXFR and IXFR are REFUSED,
// and a TSIG record is ignored (the answer is not signed). A panic costs the query a bare
// SERVFAIL, as on the other transports.
func (s *Server) Answer(dst, msg []byte) []byte {
	return s.handle(dst, msg, true)
}
