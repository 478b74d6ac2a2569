// Package rsync runs the real rsync binary for one tree: it builds the
// argument list with safe defaults, runs rsync in its own process group with
// a parent-death signal (through a /bin/sh guard that kills the whole group,
// rsync's own helper processes included) so it never outlives the agent and
// never writes into a tree whose lock was released, and maps rsync's exit
// codes.
// It must not import server.
package rsync
