// Package command implements mirror-agent's command line — run, daemon,
// status, trigger — and wires the real components (DNS reader, rsync
// runner, lock, state, advice, check-in) into a pass. cmd/mirror-agent
// only builds the context and maps the returned error to an exit code.
// It must not import server.
package command
