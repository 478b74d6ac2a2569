// Package checker watches every mirror of mirrors.toml: it probes each
// tree's TIME file per protocol (and IP family where asked), classifies
// the answers against the signal, keeps per-mirror states and the
// propagation of every publish, and hands results to a Sink, state changes
// to a Notify func and its View to subscribers. Probes are I/O (package
// probe); states, schedule and propagation are a pure core (core.go and
// the files it calls) driven by an injected time. It imports neither the
// store nor the HTTP layer, and must not import agent or zone (zone
// imports the store, which imports checker): the root feeds it each zone's
// record with SignalChanged.
//
// # States
//
// A probe is Fresh when the TIME seen is at least the tree's signal (any
// TIME, for a tree never published), Behind with its lag otherwise,
// Unreachable or Error with the probe's reason. A mirror's state for a
// tree is the best of its protocols and families (types.go gives the
// order), and every per-protocol/family result is kept, so a broken IPv6
// path or rsync module never hides a fresh HTTPS over IPv4. Only a probe
// makes a mirror fresh: a check-in (Recheck) schedules a round, and a
// mirror back from an outage stays unreachable until a probe sees it. When
// the signal moves, every mirror's last TIME is judged again at once, so a
// mirror that was fresh is Behind until a probe sees the new TIME.
//
// # Repository consistency
//
// Where Options.Repomd is set, a tree has a master base URL in
// Options.RepoBases and mirrors.toml lists [[repo]]s of it, a TIME seen
// fresh over HTTP or HTTPS is followed, after the probe's slots are given
// back, by each repo's repodata/repomd.xml for each of its arches, over
// the same protocol and family, one at a time, within the same per-host
// and global limits. The mirror's copy must have the fingerprint (package
// repomd) of one of the master's last RepomdHistory versions (default 4)
// that the checker saw; the master's copy is fetched at most once a minute
// per repo and arch and again at once when the tree's signal moves, and
// once more (at most every 5 s) before a mismatch is judged, since a
// mirror may be ahead of the copy in hand. A mismatch, or a repomd.xml
// that does not parse, makes that result Inconsistent (a half-synced
// tree: its TIME arrived first), which is never fresh. A 404 (the mirror
// leaves that repo or arch out), a failed fetch right after its TIME, or
// a master copy that could not be had gives no verdict. rsync is not
// asked for repomd.xml: a fresh rsync result takes the verdict of the
// round's HTTP(S) results of the tree, Inconsistent when one of them
// found it so, since a half-synced tree is half-synced whichever protocol
// serves it; a tree carried over rsync only is not checked. The master's
// versions live in memory only: after a restart only the current one
// counts until the master changes.
//
// Transitions are changes of the notified state: Hysteresis (default 2)
// consecutive rounds must disagree with it, and then the latest state
// wins, so a mirror flapping between Error and Unreachable still leaves
// Fresh. The first round after start (or after a mirror joins) sets the
// state silently: a restart does not notify again. Every publish makes the
// mirrors Behind for a while; Transition.Signal lets a consumer tell that
// from a stale mirror.
//
// # Schedule
//
// No round runs before the first signal. Then mirror i of N starts at
// Interval·i/N and repeats every Interval, keeping its phase. A round
// probes every protocol the mirror offers for each tree, each listed IP
// family separately: all of them every round, not in rotation, because
// the mirrorlist hands out URLs per protocol and a stale rsync module next
// to a fresh HTTPS one is a real failure. After a publish, the mirrors
// carrying the tree are re-checked every FastInterval (spread over one fast
// interval) for FastWindow, each until a probe sees it fresh; fast rounds
// probe only the trees in their window. A mirror has at most one round in
// flight. Rounds and probes are bounded by Concurrency, and probes to one
// host by PerHost, so a slow or hostile mirror holds at most PerHost
// slots, each for at most the probe timeout. The planned and achieved
// probes per minute are metrics: achieved below planned means the fleet
// outgrew Concurrency.
//
// # Propagation
//
// Each publish (a tree's stamp moving forward) is an Event counted from
// the stamp's time. A mirror carrying the tree when the publish was
// learned is counted once, at the first probe whose best TIME covers the
// stamp (late by at most the re-check interval); a TIME that covers
// several publishes counts for each. From these come the times to 50, 80,
// 95, 99 and 100 % of the mirrors and a curve to plot. The last Events
// (default 50) are kept in memory.
//
// Each count is handed to Options.FirstFresh, so it can be stored. When an
// event is learned, Options.Restore gives the mirrors already seen fresh
// for it and when: those of an earlier run, and the tier-1 hosts the
// publisher's gate saw serve the stamp before the signal moved. They count
// from those times, once. The first signal after a start opens no event
// of its own, but one whose publish Restore knows is opened again, so a
// restart in the middle of a propagation keeps its figures (without fast
// re-checks for the rest of it).
//
// # Memory
//
// Per mirror and tree the core keeps one Result per protocol and family,
// the hysteresis counter and the last event counted: for 10 000 mirrors ×
// 3 trees, a few tens of megabytes at most, no history (that is the
// Sink's). A View is rebuilt at most every two seconds and shares the
// result slices, which the core replaces and never changes.
package checker
