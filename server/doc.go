// Package server is signald's composition root. It builds every component
// from one configuration, connects them, and runs them as named services
// (dns, rfc2136, notify, admin, http, zone) under one errgroup with a
// bounded shutdown. It holds no logic of its own: wiring.go says who feeds
// whom, in this order.
//
//   - store (SQLite, server/store) holds what must survive: the published
//     timestamps, the serial, the publish events.
//   - zone (server/zone) reads the store, builds and signs the zone, and
//     re-signs it on the heartbeat. It hands each new zone, as one
//     immutable *zone.Snapshot, to its subscribers in serial order:
//     authdns (the wire-format answers it serves, swapped atomically), the
//     zone's metrics, the RFC 2136 pusher (publish.mode = "rfc2136"),
//     NOTIFY to the secondaries (once DNS listens), and the public API.
//   - publish (server/publish) takes publishes from the admin listener,
//     commits them to the store and hands each committed state to the
//     zone.
//   - api (server/api) registers the public routes (the signal, health)
//     and, on the admin listener only, the admin routes; httpserve runs
//     both listeners from the routes each component registered. Metrics go
//     on one registry that every component registers its own on.
//
// Nothing under server imports agent; the agent and the server share only
// package signal.
package server
