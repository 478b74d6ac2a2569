package dnsparams

import (
	"testing"
	"time"
)

// TestTSIGFudge holds the fudge to what fits the TSIG record's 16-bit field
// and to the RFC's recommendation.
func TestTSIGFudge(t *testing.T) {
	var fudge uint16 = TSIGFudgeSeconds
	if time.Duration(fudge)*time.Second != 5*time.Minute {
		t.Errorf("TSIG fudge %ds, want the 300 s RFC 8945 §10 recommends", fudge)
	}
}
