// Package sigquery fetches the signal from one of signald's authoritative
// servers over DNS — the _trees layout TXT, the signal TXT and the zone's
// SOA serial — checks it with package signal, and renders it for the
// operator as a table of trees, stamps and ages relative to an injected now.
// It is signalctl's query command.
//
// It talks DNS only. It must not import server/store or anything else that
// links SQLite, the server's components, or agent/.
package sigquery
