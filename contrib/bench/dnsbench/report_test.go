package dnsbench

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func testReport() *Report {
	r := &Report{
		Date: time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC), Command: "dnsbench -duration 10s -rounds 3",
		Query: Query, DurationS: 10, WarmupS: 1, Rounds: 3, LatencyRate: 20000, ServerCPU: "0", ClientCPU: "1",
		Machine: Machine{CPUs: 2, CPUModel: "AMD EPYC", Kernel: "6.1.0", LoadStart: "0.10 0.20 0.30 1/90 1",
			LoadEnd: "1.00 0.50 0.40 1/90 2", DNSPerf: "Version 2.10.0"},
		Servers: []ServerInfo{{"signald", "signald built with go1.26.8", "GOMAXPROCS=1"}, {"nsd", "NSD version 4.6.1", "server-count 1"}},
		Modes:   []ModeInfo{{"udp", "UDP, TXT without EDNS", "-m udp -c 1 -q 100"}},
		Results: []Result{
			{Mode: "udp", Server: "signald", Round: 1, Stats: Stats{QPS: 150000, P50Ms: 0.25, P99Ms: 0.75, RespBytes: 64, ServerCPU: 90, DNSPerfCPU: 99, OtherCPU: 1, QPSPerCore: 166667}},
			{Mode: "udp", Server: "nsd", Round: 1, Stats: Stats{QPS: 120000, P50Ms: 0.2, P99Ms: 0.5, RespBytes: 64, ServerCPU: 60, DNSPerfCPU: 98, OtherCPU: 2, QPSPerCore: 200000}},
			// Round 2: the machine is slower for both; signald loses.
			{Mode: "udp", Server: "nsd", Round: 2, Stats: Stats{QPS: 100000, P50Ms: 0.3, P99Ms: 1, RespBytes: 64, ServerCPU: 70, DNSPerfCPU: 99, OtherCPU: 5, StealCPU: 4, QPSPerCore: 142857}},
			{Mode: "udp", Server: "signald", Round: 2, Stats: Stats{QPS: 90000, P50Ms: 0.35, P99Ms: 1.1, RespBytes: 64, ServerCPU: 80, DNSPerfCPU: 99, OtherCPU: 6, StealCPU: 5, QPSPerCore: 112500, Lost: 2}},
			{Mode: "udp", Server: "signald", Round: 3, Stats: Stats{QPS: 140000, P50Ms: 0.2, P99Ms: 0.6, RespBytes: 64, ServerCPU: 85, DNSPerfCPU: 99, OtherCPU: 2, QPSPerCore: 164706}},
			{Mode: "udp", Server: "nsd", Round: 3, Stats: Stats{QPS: 130000, P50Ms: 0.2, P99Ms: 0.6, RespBytes: 64, ServerCPU: 65, DNSPerfCPU: 99, OtherCPU: 2, QPSPerCore: 200000}},
			{Mode: "tcp", Server: "signald", Round: 1, Stats: Stats{QPS: 1000, Lost: 3}}, // no NSD in this mode
		},
	}
	r.summarise()
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSummarise(t *testing.T) {
	r := testReport()
	if sd := r.Results[0]; sd.QPSvsNSD != 1.25 || sd.P99vsNSD != 1.5 || sd.PerCorevsNSD != 166667.0/200000 {
		t.Errorf("round 1 signald ratios: qps %v p99 %v per core %v", sd.QPSvsNSD, sd.P99vsNSD, sd.PerCorevsNSD)
	}
	if sd := r.Results[3]; !near(sd.QPSvsNSD, 0.9) {
		t.Errorf("round 2 signald against round 2 nsd: %v, want 0.9", sd.QPSvsNSD)
	}
	if len(r.Summary) != 3 {
		t.Fatalf("summary: %+v", r.Summary)
	}
	sd, nsd, tcp := r.Summary[0], r.Summary[1], r.Summary[2]
	if sd.Server != "signald" || sd.Rounds != 3 || sd.QPS != 140000 || sd.QPSMin != 90000 || sd.QPSMax != 150000 {
		t.Errorf("signald qps: %+v", sd)
	}
	// Ratios by round: 1.25, 0.9, 140/130; the median is 140/130, not the
	// ratio of the medians (140/120).
	if !near(sd.QPSvsNSD, 140.0/130) || !near(sd.QPSvsNSDMin, 0.9) || sd.QPSvsNSDMax != 1.25 || sd.RoundsAtLeastNSD != 2 {
		t.Errorf("signald ×NSD: median %v range %v–%v at least %d", sd.QPSvsNSD, sd.QPSvsNSDMin, sd.QPSvsNSDMax, sd.RoundsAtLeastNSD)
	}
	if sd.P99Ms != 0.75 || sd.Lost != 2 || sd.StealCPU != 0 || !near(sd.P99vsNSD, 1.1) {
		t.Errorf("signald p99 %v lost %v steal %v p99×NSD %v", sd.P99Ms, sd.Lost, sd.StealCPU, sd.P99vsNSD)
	}
	if nsd.QPSvsNSD != 1 || nsd.RoundsAtLeastNSD != 3 || nsd.QPS != 120000 {
		t.Errorf("nsd against itself: %+v", nsd)
	}
	if tcp.QPSvsNSD != 0 || tcp.Rounds != 1 || tcp.Lost != 3 {
		t.Errorf("tcp without NSD: %+v", tcp)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := slices.Clone(c.in)
		if got := median(c.in); got != c.want || !slices.Equal(in, c.in) {
			t.Errorf("median(%v) = %v, want %v (input kept)", in, got, c.want)
		}
	}
}

func TestRotate(t *testing.T) {
	a, b, c := &server{Name: "a"}, &server{Name: "b"}, &server{Name: "c"}
	all := []*server{a, b, c}
	for round, want := range [][]*server{{a, b, c}, {b, c, a}, {c, a, b}, {a, b, c}} {
		if got := rotate(all, round); !slices.Equal(got, want) {
			t.Errorf("round %d: got %v", round, got)
		}
	}
	if !slices.Equal(all, []*server{a, b, c}) {
		t.Error("rotate changed its input")
	}
}

func TestWriteTableGolden(t *testing.T) {
	var b bytes.Buffer
	r := testReport()
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	if err := r.WriteSetup(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("got:\n%s\nwant (%s, -update to rewrite):\n%s", got, golden, want)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results", "latest.json")
	r := testReport()
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 7 || back.Results[0].QPSvsNSD != 1.25 || back.Results[0].Stats.QPS != 150000 ||
		len(back.Summary) != 3 || back.Summary[0].QPS != 140000 || back.Rounds != 3 {
		t.Errorf("round trip: %+v %+v", back.Results, back.Summary)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}
