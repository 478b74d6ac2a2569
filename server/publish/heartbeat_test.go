package publish

import (
	"context"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestHeartbeatPlants: the heartbeat file on every master carries the time
// of each beat, and a failing master is counted, not fatal.
func TestHeartbeatPlants(t *testing.T) {
	r := newRig(t, nil, majority, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now().Unix()
	if err := r.p.Heartbeat(ctx, ".mirrorsignal-heartbeat", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := r.planter.files[".mirrorsignal-heartbeat"]
	v, err := signal.ParseTimeFile([]byte(got))
	if err != nil || v < start || v > time.Now().Unix() {
		t.Fatalf("heartbeat file %q (%v), want a stamp from this run", got, err)
	}
	if _, ok := r.planter.files["TIME"]; ok {
		t.Fatal("the heartbeat wrote the TIME file")
	}
	r.planter.fail = context.DeadlineExceeded
	ctx2, cancel2 := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel2()
	if err := r.p.Heartbeat(ctx2, ".mirrorsignal-heartbeat", 50*time.Millisecond); err != nil {
		t.Fatalf("a failing master stopped the heartbeat: %v", err)
	}
}
