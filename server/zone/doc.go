// Package zone owns the signal zone. It builds the zone from the published
// state and the configuration, signs it, re-signs it on the heartbeat and
// before signatures expire, reloads keys, and bumps the serial. Every new
// zone is handed to the subscribers as one immutable *Snapshot, in serial
// order, each subscriber exactly once: authdns swaps in the precomputed
// answers, the metrics record it, the RFC 2136 pusher queues the record,
// NOTIFY tells the secondaries and the HTTP API reports it.
//
// It imports the DNS packages (authdns, dnssec) and the store; it must not
// import the HTTP side, the publisher or anything under agent.
package zone
