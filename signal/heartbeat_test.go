package signal

import (
	"testing"
	"time"
)

// heartbeatMargin is what the heartbeat contract leaves beyond the
// heartbeat and the back-dating: the signal's time in a resolver cache
// (signal_ttl, 5 minutes by default, allowed up to far more), re-sign
// retries after a failure (at most a minute apart) and clock skew beyond
// the back-dating.
const heartbeatMargin = 30 * time.Minute

// TestHeartbeatContract: a signal answer signald signed on time is never
// refused as stale by an agent with the default max_signature_age.
func TestHeartbeatContract(t *testing.T) {
	oldest := SignatureHeartbeat + InceptionBackdate + heartbeatMargin
	if oldest >= DefaultMaxSignatureAge {
		t.Errorf("heartbeat %s + back-dating %s + margin %s = %s, want below the default max signature age %s",
			SignatureHeartbeat, InceptionBackdate, heartbeatMargin, oldest, DefaultMaxSignatureAge)
	}
	if SignatureHeartbeat <= 0 || InceptionBackdate < 0 {
		t.Errorf("heartbeat %s and back-dating %s must be positive", SignatureHeartbeat, InceptionBackdate)
	}
}
