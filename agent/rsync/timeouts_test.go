package rsync

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestArgsTimeouts: --timeout is always given (at least one second, rsync
// reads 0 as "no timeout"); --contimeout only for a daemon source with a
// connect timeout set, since rsync refuses it for a remote shell or a
// local source.
func TestArgsTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		source  string
		connect time.Duration
		io      time.Duration
		want    []string
	}{
		{"daemon url", "rsync://h/m", 30 * time.Second, time.Minute, []string{"--timeout=60", "--contimeout=30"}},
		{"daemon double colon", "h::m", 45 * time.Second, time.Minute, []string{"--timeout=60", "--contimeout=45"}},
		{"daemon without connect timeout", "rsync://h/m", 0, time.Minute, []string{"--timeout=60"}},
		{"local source", "/srv/upstream", 30 * time.Second, time.Minute, []string{"--timeout=60"}},
		{"ssh source", "h:/srv/m", 30 * time.Second, time.Minute, []string{"--timeout=60"}},
		{"sub-second rounds up", "rsync://h/m", 100 * time.Millisecond, 200 * time.Millisecond, []string{"--timeout=1", "--contimeout=1"}},
	}
	for _, tc := range tests {
		for _, stage := range []Stage{Full, Packages, Probe} {
			t.Run(tc.name+"/"+stage.String(), func(t *testing.T) {
				args := Args(Job{Source: tc.source, Dest: "/srv/m", TimeFile: "TIME", Stage: stage,
					ConnectTimeout: tc.connect, IOTimeout: tc.io})
				var got []string
				for _, a := range args {
					if strings.HasPrefix(a, "--timeout") || strings.HasPrefix(a, "--contimeout") {
						got = append(got, a)
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("timeout args %v, want %v: %v", got, tc.want, args)
				}
			})
		}
	}
}
