package dnsbench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func testReport() *Report {
	r := &Report{
		Date: time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC), Command: "dnsbench -duration 10s",
		Query: Query, DurationS: 10, WarmupS: 1, ServerCPU: "0", ClientCPU: "1",
		Machine: Machine{CPUs: 2, CPUModel: "AMD EPYC", Kernel: "6.1.0", LoadStart: "0.10 0.20 0.30 1/90 1",
			LoadEnd: "1.00 0.50 0.40 1/90 2", DNSPerf: "Version 2.10.0"},
		Servers: []ServerInfo{{"signald", "signald built with go1.26.8", "GOMAXPROCS=1"}, {"nsd", "NSD version 4.6.1", "server-count 1"}},
		Modes:   []ModeInfo{{"udp", "UDP, TXT without EDNS", "-m udp -c 1 -q 100"}},
		Results: []Result{
			{Mode: "udp", Server: "signald", Stats: Stats{QPS: 150000, P50Ms: 0.25, P99Ms: 0.75, RespBytes: 64, ServerCPU: 90, DNSPerfCPU: 99, OtherCPU: 1, QPSPerCore: 166667}},
			{Mode: "udp", Server: "nsd", Stats: Stats{QPS: 120000, P50Ms: 0.2, P99Ms: 0.5, RespBytes: 64, ServerCPU: 60, DNSPerfCPU: 98, OtherCPU: 2, QPSPerCore: 200000}},
			{Mode: "tcp", Server: "signald", Stats: Stats{QPS: 1000, Lost: 3}}, // no NSD in this mode
		},
	}
	r.computeRatios()
	return r
}

func TestComputeRatios(t *testing.T) {
	r := testReport()
	sd := r.Results[0]
	if sd.QPSvsNSD != 1.25 || sd.P99vsNSD != 1.5 || sd.PerCorevsNSD != 166667.0/200000 {
		t.Errorf("signald ratios: qps %v p99 %v per core %v", sd.QPSvsNSD, sd.P99vsNSD, sd.PerCorevsNSD)
	}
	if nsd := r.Results[1]; nsd.QPSvsNSD != 1 || nsd.P99vsNSD != 1 {
		t.Errorf("nsd against itself: %v %v", nsd.QPSvsNSD, nsd.P99vsNSD)
	}
	if tcp := r.Results[2]; tcp.QPSvsNSD != 0 {
		t.Errorf("ratio without NSD: %v", tcp.QPSvsNSD)
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
	if len(back.Results) != 3 || back.Results[0].QPSvsNSD != 1.25 || back.Results[0].Stats.QPS != 150000 {
		t.Errorf("round trip: %+v", back.Results)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}
