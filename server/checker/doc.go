// Package checker watches every mirror of mirrors.toml: it probes each
// tree's TIME file per protocol (and IP family where asked), classifies
// the answers against the signal, keeps per-mirror states and the
// propagation of every publish, and hands results to a Sink and its view
// to subscribers. Probes are I/O (package probe); states, schedule and
// propagation are a pure core. It imports neither the store nor the HTTP
// layer, and must not import agent.
package checker
