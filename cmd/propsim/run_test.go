package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/demo/fleet"
)

var fixedNow = func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }

func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"-nope"}},
		{"argument", []string{"extra"}},
		{"bad sizes", []string{"-mirrors", "600,x"}},
		{"zero size", []string{"-mirrors", "0"}},
		{"share", []string{"-tier2-share", "2"}},
		{"sigma", []string{"-rsync-sigma", "-1"}},
		{"interval", []string{"-interval", "0s"}},
		{"tier1 above size", []string{"-mirrors", "5", "-tier1", "6"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr, fixedNow)
			if code := exitCode(err, &stderr); code != exitUsage {
				t.Fatalf("exit %d (%v), want %d", code, err, exitUsage)
			}
		})
	}
}

// A small run writes the markdown, the JSON and one plot per scenario,
// and the markdown on stdout is the file's.
func TestRunWritesReport(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-mirrors", "120,300", "-tier1", "4", "-tier1-per", "50", "-out", dir}
	if err := run(context.Background(), args, &stdout, &stderr, fixedNow); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "propsim.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), string(md)) {
		t.Error("stdout is not the markdown file")
	}
	var rep struct {
		Generated time.Time `json:"generated"`
		Scenarios []struct {
			Name       string `json:"name"`
			Plot       string `json:"plot"`
			Tiers      [3]int `json:"tiers"`
			Strategies []struct {
				Name string `json:"name"`
			} `json:"strategies"`
		} `json:"scenarios"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "propsim.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Generated.Equal(fixedNow()) {
		t.Errorf("generated %s", rep.Generated)
	}
	// 120: base and faults (120/50 = 2 tier-1 hosts is not more than 4);
	// 300: base, faults and 6 tier-1 hosts.
	names := []string{"120 mirrors", "120 mirrors with faults", "300 mirrors", "300 mirrors with faults", "300 mirrors, 6 tier-1 hosts"}
	if len(rep.Scenarios) != len(names) {
		t.Fatalf("%d scenarios, want %d", len(rep.Scenarios), len(names))
	}
	for i, s := range rep.Scenarios {
		if s.Name != names[i] || len(s.Strategies) != 5 {
			t.Errorf("scenario %d: %q with %d strategies", i, s.Name, len(s.Strategies))
		}
		svg, err := os.ReadFile(filepath.Join(dir, s.Plot))
		if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
			t.Errorf("plot %q: %v", s.Plot, err)
		}
	}
	if rep.Scenarios[4].Tiers[0] != 6 {
		t.Errorf("tiers %v, want 6 tier-1 hosts", rep.Scenarios[4].Tiers)
	}
}

// -calibrate fits the rsync model and takes the interval and jitter,
// except where a flag sets them.
func TestRunCalibrate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "calib.json")
	if err := os.WriteFile(file, []byte(`{"rsync_seconds":[10,40],"poll_interval_seconds":120,"jitter_seconds":60,"fresh_after_seconds":[30,50]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	args := []string{"-mirrors", "100", "-faults=false", "-jitter", "45s", "-calibrate", file, "-out", out}
	if err := run(context.Background(), args, &stdout, &stderr, fixedNow); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var rep struct {
		Model struct {
			Mu       float64 `json:"rsync_log_mu"`
			Interval float64 `json:"poll_interval_s"`
			Jitter   float64 `json:"jitter_s"`
		} `json:"model"`
		Calibration struct {
			Samples int     `json:"rsync_samples"`
			P50     float64 `json:"fresh_after_p50_s"`
		} `json:"calibration"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "propsim.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.Model.Mu-math.Log(20)) > 1e-9 || rep.Model.Interval != 120 || rep.Model.Jitter != 45 {
		t.Errorf("model %+v: want μ ln 20, interval 120 from the file, jitter 45 from the flag", rep.Model)
	}
	if rep.Calibration.Samples != 2 || rep.Calibration.P50 != 30 {
		t.Errorf("calibration %+v", rep.Calibration)
	}
	if !strings.Contains(stdout.String(), "signal poll 2m+45s") {
		t.Errorf("strategy names do not follow the calibration:\n%s", stdout.String())
	}
	if err := os.WriteFile(file, []byte(`{"rsync_seconds":[1]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-mirrors", "100", "-calibrate", file, "-out", ""}, &stdout, &stderr, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "rsync_seconds") {
		t.Errorf("bad calibration: %v", err)
	}
}

// The file `make demo` writes (contrib/demo/fleet) is read as it is.
func TestRunReadsDemoCalibration(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "calibration.json")
	c := fleet.Calibration{RsyncSeconds: []float64{1.5, 2.5, 0.8}, PollIntervalSeconds: 10, JitterSeconds: 5,
		FreshAfterSeconds: []float64{3, 4, 9}}
	if err := c.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-mirrors", "60", "-tier1", "3", "-faults=false", "-calibrate", file, "-out", ""}
	if err := run(context.Background(), args, &stdout, &stderr, fixedNow); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"signal poll 10s+5s", "3 rsync durations", "p50 4.0 s, p95 9.0 s (3 mirrors)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}
