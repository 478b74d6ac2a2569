// Package store keeps signald's state that must survive a crash: each tree's
// published timestamp, the SOA serial and the publish events. It is an
// embedded SQLite database (modernc.org/sqlite, no cgo) in WAL mode with
// synchronous=FULL, so a committed publish survives `kill -9` and power loss.
// It must not import agent.
package store
