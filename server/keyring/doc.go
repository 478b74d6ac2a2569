// Package keyring is the operator's side of the zone's DNSSEC key
// directory: generate a key pair into it, list its keys, retire one to
// retired/, print the DS records of its SEP keys for the parent zone, and
// word each result for the operator. Key files, their format and signing
// belong to server/dnssec, which it uses unchanged; signald reads the
// directory again on SIGHUP.
//
// It is signalctl's keys command. It must not import server/store or
// anything else that links SQLite, the server's components, or agent/.
package keyring
