// Package pass is one mirror-agent pass: read and validate the
// signal, compare it with the local TIME files, and — only if some tree is
// behind, or is due for the unconditional sync of sync.max_interval — take
// the lock, rsync exactly those trees (from signed advice or the configured
// sources), verify that each local TIME reached the signal (else try the next
// source), re-query and repeat (bounded) when the signal moved meanwhile,
// save the state and check in.
//
// Before anything runs from a source, a pre-flight fetches its TIME file
// alone into a scratch directory and requires it to be at least the signal
// and the local TIME (so the unconditional sync, with the signal unknown,
// never rolls a tree back): an empty, unmounted or stale upstream is skipped
// before it can delete anything. The full stage carries rsync --max-delete,
// sync.max_delete_share of the local tree's entries (preflight.go, guard.go).
// A run it stops has deleted up to that many: the state keeps the count from
// before it, and until the tree syncs later runs may delete only what is left
// of that share, and nothing once it is spent.
//
// Its collaborators are small interfaces defined here, so the logic is tested
// with fakes; package command wires the real ones. The error Run returns
// carries the exit code (package exitcode) and has already been logged.
// It must not import server.
package pass
