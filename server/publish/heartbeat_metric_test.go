package publish

import (
	"context"
	"errors"
	"testing"
	"time"
)

// plantFailures returns mirrorsignal_plant_failures_total.
func (r *liveRig) plantFailures(t *testing.T) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "mirrorsignal_plant_failures_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no mirrorsignal_plant_failures_total")
	return 0
}

// TestHeartbeatCountsFailures: a heartbeat that cannot be planted is
// counted in mirrorsignal_plant_failures_total; one planted is not, nor one
// cut short by shutdown.
func TestHeartbeatCountsFailures(t *testing.T) {
	r := newLiveRig(t, fakeTrees{}, Gate{})
	beat := func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		if err := r.p.Heartbeat(ctx, ".heartbeat", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	beat(context.Background())
	if n := r.plantFailures(t); n != 0 {
		t.Fatalf("%g failures counted for planted heartbeats", n)
	}
	r.planter.mu.Lock()
	r.planter.fail = errors.New("disk full")
	r.planter.mu.Unlock()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	beat(stopped)
	if n := r.plantFailures(t); n != 0 {
		t.Fatalf("%g failures counted for a heartbeat stopped by shutdown", n)
	}
	beat(context.Background())
	// one beat per tree (content, vault) on the one master
	if n := r.plantFailures(t); n != 2 {
		t.Fatalf("%g failures counted, want 2 (one beat of two trees)", n)
	}
}
