// Package agent is the root of mirror-agent, the program a mirror admin
// installs. It holds no code; the work lives in subpackages,
// one per concern:
//
//   - config:   agent.toml, decoded strictly and validated
//   - query:    asks DNS for the signal, validates it (DNSSEC included)
//   - lockfile: the non-blocking lock that keeps two agents apart
//   - rsync:    runs the real rsync binary, tied to the agent's life
//   - state:    the small state file (last success per tree)
//   - checkin:  the signed check-in sent after a sync
//   - advice:   signed sync-source advice and its allow-list
//   - schedule: jitter and sleeps, on an injected clock and random source
//   - pass:     one agent pass: query → compare → lock → sync → verify
//   - command:  the run/daemon/status/trigger commands and their wiring
//   - exitcode: the exit codes (0, 1, 2, 4, 5, 78)
//   - logging:  the slog setup (errors on stderr, the rest to a file)
//   - agenttest: test fixtures (rsync daemon, DNS server, rsync wrapper)
//
// Nothing under agent imports server; both import signal.
package agent
