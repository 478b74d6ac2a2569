package schedule

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// stepSource returns start, start+step, … — a fully controlled source.
type stepSource struct{ v, step uint64 }

func (s *stepSource) Uint64() uint64 {
	v := s.v
	s.v += s.step
	return v
}

func TestJitterBounds(t *testing.T) {
	limit := 5 * time.Minute
	for _, start := range []uint64{0, 1, math.MaxUint64, math.MaxUint64 / 2} {
		d := Jitter(rand.New(&stepSource{start, 1}), limit)
		if d < 0 || d > limit {
			t.Errorf("source %d: jitter %s outside [0, %s]", start, d, limit)
		}
	}
	// The top of the source's range maps to the top of [0, limit].
	if d := Jitter(rand.New(&stepSource{math.MaxUint64, 1}), limit); d != limit {
		t.Errorf("max source gave %s, want %s", d, limit)
	}
	if d := Jitter(rand.New(&stepSource{0, 1}), 0); d != 0 {
		t.Errorf("zero limit gave %s", d)
	}
	// Both ends are reachable: with limit 1ns the draw is 0 or 1.
	seen := map[time.Duration]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		seen[Jitter(r, time.Nanosecond)] = true
	}
	if !seen[0] || !seen[1] {
		t.Errorf("ends not both drawn: %v", seen)
	}
}

// TestJitterUniform: a chi-square test over 10 buckets with a seeded
// source; the 0.999 quantile for 9 degrees of freedom is 27.88.
func TestJitterUniform(t *testing.T) {
	const n, buckets = 100_000, 10
	limit := 10 * time.Minute
	r := rand.New(rand.NewPCG(42, 7))
	var counts [buckets]int
	for range n {
		d := Jitter(r, limit)
		counts[min(int(d*buckets/(limit+1)), buckets-1)]++
	}
	expected := float64(n) / buckets
	chi := 0.0
	for _, c := range counts {
		chi += (float64(c) - expected) * (float64(c) - expected) / expected
	}
	if chi > 27.88 {
		t.Fatalf("chi-square %.1f over %v: not uniform", chi, counts)
	}
}
