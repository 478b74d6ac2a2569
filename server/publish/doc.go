// Package publish is the publish workflow. A request is checked (known
// tree, sane timestamp, not backwards unless forced), recorded as a
// publish in the store, and then, in the background:
//
//	planned  → the tree's TIME file is planted on every master (all must succeed)
//	planted  → the tier-1 hosts carrying the tree are probed every gate
//	gating     interval until a quorum serves a TIME ≥ the new stamp
//	         → committed: the stamp, a serial bump and the event in one
//	           store transaction; then the zone is rebuilt, re-signed and
//	           NOTIFYed (or pushed by RFC 2136), and push triggers go out
//
// or it ends timed_out (no quorum by the gate timeout), failed (planting or
// committing failed) or cancelled (by the operator, or superseded: a newer
// publish of the same tree cancels a pending older one). Every state is in
// the store; DNS changes only at commit, so a publish is never
// half-committed. After a restart, pending publishes resume where they
// were: planting again (it is idempotent) or gating until their original
// deadline. A tree with no masters and no tier-1 hosts commits at once.
//
// It imports the store's types, never the DNS or HTTP packages, and must
// not import agent.
package publish
