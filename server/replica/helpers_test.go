package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// base is the fixture's first generation time.
var base = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fleet returns fleetAt(0) to fleetAt(n).
func fleet(n int) []*status.Snapshot {
	out := make([]*status.Snapshot, n+1)
	for i := range out {
		out[i] = fleetAt(i)
	}
	return out
}

// smallFleet is fleet with two mirrors: cheap to render per request.
func smallFleet(n int) []*status.Snapshot {
	out := make([]*status.Snapshot, n+1)
	for i := range out {
		out[i] = statustest.Fleet(statustest.Options{Mirrors: 2, Events: 1, Now: base.Add(time.Duration(i) * time.Minute), Seed: uint64(i)})
	}
	return out
}

// fleetAt is the i-th snapshot of a primary: generated i minutes after
// base, with other contents each time. Two calls may order the probes
// differently (the fixture ranges over a map): encode the one set.
func fleetAt(i int) *status.Snapshot {
	return statustest.Fleet(statustest.Options{Mirrors: 6, Events: 1, Now: base.Add(time.Duration(i) * time.Minute), Seed: uint64(i)})
}

func mustEncode(t testing.TB, s *status.Snapshot) []byte {
	t.Helper()
	b, err := status.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seal wraps a snapshot that Encode would refuse in an envelope with a
// correct digest.
func seal(t testing.TB, s *status.Snapshot) []byte {
	t.Helper()
	body, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, `{"format":%d,"sha256":"%s","snapshot":%s}`, status.Format, hex.EncodeToString(sum[:]), body)
}

func writeAtomic(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds; the deadline only ends a hung test.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fileIs reports whether path holds b.
func fileIs(path string, b []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, b)
}

// gather returns the gauges and counters of reg by name{labels}.
func gather(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}
