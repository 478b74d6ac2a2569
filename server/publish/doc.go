// Package publish turns a publish request into a committed state: it checks
// the tree and the timestamp, commits them to the store (serial bump and
// event in one transaction) and hands the new state to whoever serves it.
// The tier-1 quorum gate (publish only once enough tier-1 hosts serve the
// new TIME) is not here yet. It must not import
// agent.
package publish
