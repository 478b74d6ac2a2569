package sim

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseCalibration(t *testing.T) {
	c, err := ParseCalibration([]byte(`{"rsync_seconds":[10,40],"poll_interval_seconds":60,"jitter_seconds":30,"fresh_after_seconds":[0,12.5,20]}`))
	if err != nil {
		t.Fatal(err)
	}
	fit, err := c.Rsync()
	if err != nil || math.Abs(fit.Median().Seconds()-20) > 1e-6 {
		t.Errorf("fit %+v (median %s), %v; want median 20s (geometric mean of 10 and 40)", fit, fit.Median(), err)
	}
	if d, ok := c.PollInterval(); !ok || d != time.Minute {
		t.Errorf("interval %s %v", d, ok)
	}
	if d, ok := c.Jitter(); !ok || d != 30*time.Second {
		t.Errorf("jitter %s %v", d, ok)
	}
	if p := Percentile(c.FreshAfterSeconds, 0.5); p != 12.5 {
		t.Errorf("p50 %v", p)
	}
	c, err = ParseCalibration([]byte(`{"rsync_seconds":[1,2]}`))
	if _, ok := c.PollInterval(); err != nil || ok {
		t.Errorf("without interval: %v, %v", ok, err)
	}
	for _, bad := range []struct{ name, in, want string }{
		{"empty", ``, "calibration"},
		{"not an object", `[1,2]`, "calibration"},
		{"unknown field", `{"rsync_seconds":[1,2],"rsync_secs":[1]}`, "unknown field"},
		{"one duration", `{"rsync_seconds":[1]}`, "rsync_seconds"},
		{"zero duration", `{"rsync_seconds":[1,0]}`, "rsync_seconds[1]"},
		{"negative", `{"rsync_seconds":[1,-3]}`, "rsync_seconds[1]"},
		{"huge", `{"rsync_seconds":[1,1e300]}`, "rsync_seconds[1]"},
		{"string", `{"rsync_seconds":["1","2"]}`, "calibration"},
		{"zero interval", `{"rsync_seconds":[1,2],"poll_interval_seconds":0}`, "poll_interval_seconds"},
		{"negative jitter", `{"rsync_seconds":[1,2],"jitter_seconds":-1}`, "jitter_seconds"},
		{"trailing", `{"rsync_seconds":[1,2]} {}`, "after the JSON"},
		{"negative fresh-after", `{"rsync_seconds":[1,2],"fresh_after_seconds":[-1]}`, "fresh_after_seconds[0]"},
		{"too big", `{"rsync_seconds":[` + strings.Repeat("1,", MaxCalibrationBytes/2) + `1]}`, "larger"},
	} {
		if _, err := ParseCalibration([]byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want it to mention %q", bad.name, err, bad.want)
		}
	}
}

// FuzzParseCalibration: any input is refused or gives a calibration whose
// fit is usable (finite μ and σ) by the simulator.
func FuzzParseCalibration(f *testing.F) {
	f.Add([]byte(`{"rsync_seconds":[10,40],"poll_interval_seconds":60,"jitter_seconds":30}`))
	f.Add([]byte(`{"rsync_seconds":[1e-300,1e5],"fresh_after_seconds":[0]}`))
	f.Add([]byte(`{"rsync_seconds":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCalibration(data)
		if err != nil {
			return
		}
		fit, err := c.Rsync()
		if err != nil {
			t.Fatalf("accepted calibration does not fit: %v", err)
		}
		if !finite(fit.Mu) || !finite(fit.Sigma) || fit.Sigma < 0 {
			t.Fatalf("fit %+v", fit)
		}
		if d, ok := c.PollInterval(); ok && d < time.Second {
			t.Fatalf("interval %s accepted", d)
		}
	})
}
