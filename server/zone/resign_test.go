package zone

import (
	"slices"
	"testing"
	"time"
)

// TestResignRetry: a re-sign that keeps failing (the state dir cannot take
// the new serial) is tried again after 1 s, 2 s, 4 s … up to a minute, not
// every second.
func TestResignRetry(t *testing.T) {
	var got []time.Duration
	var d time.Duration
	for range 9 {
		d = resignRetry().Next(d)
		got = append(got, d)
	}
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute, time.Minute}
	if !slices.Equal(got, want) {
		t.Errorf("retry waits %v, want %v", got, want)
	}
}
