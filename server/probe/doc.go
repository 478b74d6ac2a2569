// Package probe fetches one small file — a tree's TIME file or a heartbeat
// stamp file — from a mirror over HTTP, HTTPS or rsync, and reads its
// stamp. The publisher's tier-1 quorum gate and the checker use it. Every
// byte it reads comes from a mirror and is treated as hostile: bodies are
// capped (BodyCap, at most signal.MaxTimeFileSize; a bigger one is
// ErrTooBig after reading at most cap+1 bytes), headers are capped, at most
// MaxRedirects redirects are followed, the whole probe is bounded by one
// timeout, and text quoted in errors is sanitized.
//
// It owns the Prober (configuration, one HTTP transport per IP family, the
// rsync command line), ReadCapped and ParseBody (the tier-1 TIME reader,
// fuzzed), and the classification of failures. It imports the standard
// library and package signal only: no store, HTTP server, DNS or agent code.
//
// # Requests
//
// HTTP probes send "User-Agent: mirrorsignal/<version> (+checker)",
// "Cache-Control: no-cache" and "Pragma: no-cache", keep no cookies, do not
// ask for compression, speak HTTP/1.1 without keep-alive (probes to one host
// are rare; each opens a fresh connection) and use a proxy only when
// Config.Proxy names one — never the one from the environment. TLS is always
// verified against Config.RootCAs or the system roots; there is no option
// to skip verification (no InsecureSkipVerify), and none may be added.
// Family IPv4 and IPv6 dial "tcp4" and "tcp6" (rsync -4 and -6), so an
// address of the other family fails as Unreachable.
//
// rsync probes run the real rsync binary (`rsync --no-motd --contimeout=N
// --timeout=N --max-size=CAP [-4|-6] -- rsync://host/module/path DIR/`) in a
// session of its own with a bare environment, into a fresh temp dir that is
// removed afterwards; when the probe's time or the caller's context ends,
// the whole process group is killed.
//
// # Classification
//
// A Result's Class is OK, Unreachable or Error, and its Err wraps one reason
// for errors.Is:
//
//   - Unreachable (ErrUnreachable): no server could be talked to — DNS
//     failure, connection refused or reset, no route, no address of the
//     family, or the time ran out before the TCP connection was made; rsync
//     exit 10 and 35, and 5 unless the daemon answered "@ERROR".
//   - Error: something answered, but badly — ErrHTTPStatus (any status but
//     200, with the code), ErrRedirects, ErrTLS (certificate or handshake),
//     ErrTooBig, ErrBadTime (not a TIME file, or a stamp outside
//     signal.MinStamp..MaxStamp, 0 included), ErrMissing (rsync exit 23, or
//     no regular file there), ErrProtocol (a malformed answer, plain HTTP
//     from an https:// URL, rsync "@ERROR" or another exit code),
//     ErrTimeout.
//   - ErrTimeout is Error, not Unreachable: the time ran out after the TCP
//     connection was made — a server that accepts and stays silent, a slow
//     TLS handshake, a body trickling in (rsync exit 30, or rsync killed at
//     the deadline). The host is reachable; what it serves is not usable.
//   - ErrBadURL and ErrRsync (the binary cannot run) are local problems,
//     and ErrCanceled means the caller's context ended: all Error; a caller
//     that cancelled should drop the result.
package probe
