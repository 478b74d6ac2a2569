package signal

import "time"

// The heartbeat contract between signald and mirror-agent. signald re-signs
// the signal TXT RRset at least every SignatureHeartbeat, even when nothing
// changed, with its RRSIG inception back-dated by InceptionBackdate. An
// agent that validates the answer therefore sees an inception at most
// SignatureHeartbeat + InceptionBackdate old, plus the time the answer sat
// in a resolver's cache (the signal TTL, five minutes by default) and a
// re-sign delayed by retries. By default it refuses an older inception as
// a frozen or replayed answer, so DefaultMaxSignatureAge must stay above
// that sum with a margin: changing one of these means checking the others
// (the test in heartbeat_test.go holds them to it).
const (
	// SignatureHeartbeat is the longest time signald leaves the signal
	// TXT RRset without a fresh signature.
	SignatureHeartbeat = 1 * time.Hour

	// InceptionBackdate is how far before the signing time signald puts
	// every RRSIG inception, to absorb clock skew between signald and
	// validators.
	InceptionBackdate = 1 * time.Hour

	// DefaultMaxSignatureAge is the agent's default max_signature_age: the
	// oldest RRSIG inception of the signal it accepts.
	DefaultMaxSignatureAge = 3 * time.Hour
)
