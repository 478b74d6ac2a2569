package dnsbench

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// TestRunEndToEnd runs the harness as make bench does, briefly: a built
// signald and NSD as its secondary, two rounds of one mode, each with a
// throughput and a fixed-rate latency run of dnsperf.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives signald, NSD and dnsperf for several seconds")
	}
	testtool.Require(t, "dnsperf", "nsd", "taskset")
	bin := filepath.Join(t.TempDir(), "signald")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/signald").CombinedOutput(); err != nil {
		t.Fatalf("go build signald: %v\n%s", err, out)
	}
	client := "1"
	if runtime.NumCPU() < 2 {
		client = "0"
	}
	const rate = 2000
	o := Options{Signald: bin, Duration: time.Second, Rounds: 2, LatencyRate: rate,
		ServerCPU: "0", ClientCPU: client, Servers: []string{"signald", "nsd"}, Modes: []string{"udp"}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Run(ctx, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Round 1 measures signald first, round 2 NSD first.
	want := []struct {
		server string
		round  int
	}{{"signald", 1}, {"nsd", 1}, {"nsd", 2}, {"signald", 2}}
	if len(r.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(r.Results), len(want), r.Results)
	}
	for i, res := range r.Results {
		if res.Server != want[i].server || res.Round != want[i].round || res.Mode != "udp" {
			t.Errorf("result %d is %s round %d (%s), want %s round %d", i, res.Server, res.Round, res.Mode, want[i].server, want[i].round)
		}
		// The throughput run is not held to a rate; the latency run is.
		if res.QPS <= 2*rate || res.NoError != res.Completed || res.ServerCPU <= 0 {
			t.Errorf("%s round %d throughput: %+v", res.Server, res.Round, res.Stats)
		}
		if res.Samples < rate/2 || res.LatencyQPS < rate/2 || res.LatencyQPS > 1.5*rate || res.P99Ms <= 0 || res.P50Ms > res.P99Ms {
			t.Errorf("%s round %d latency run: %d samples at %.0f qps, p50 %v p99 %v", res.Server, res.Round, res.Samples, res.LatencyQPS, res.P50Ms, res.P99Ms)
		}
	}
	if len(r.Summary) != 2 || r.Summary[0].Server != "signald" || r.Summary[0].Rounds != 2 || r.Summary[1].QPSvsNSD != 1 {
		t.Errorf("summary: %+v", r.Summary)
	}
	if sd := r.Summary[0]; sd.QPSvsNSD <= 0 || sd.QPSvsNSDMin > sd.QPSvsNSDMax {
		t.Errorf("signald ×NSD %v (%v–%v)", sd.QPSvsNSD, sd.QPSvsNSDMin, sd.QPSvsNSDMax)
	}
}
