// Package publish turns a publish request into a committed state: it checks
// the tree and the timestamp, commits them to the store (serial bump and
// event in one transaction) and hands the new state to whoever serves it.
// The tier-1 quorum gate of DESIGN §3.4 is not here yet. It must not import
// agent.
package publish
