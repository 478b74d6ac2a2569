package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Calibration file bounds.
const (
	// MaxCalibrationBytes caps a calibration file.
	MaxCalibrationBytes = 4 << 20
	maxSamples          = 100_000
)

// Calibration is what a loopback end-to-end run measured, as the JSON file
// `propsim -calibrate FILE` reads:
//
//	{"rsync_seconds": [12.5, 9.1, …],     // one sync that brought new content, per mirror
//	 "poll_interval_seconds": 300,        // optional: the agents' interval
//	 "jitter_seconds": 300,               // optional: their jitter
//	 "fresh_after_seconds": [40.2, …],    // optional: publish to first seen fresh, per mirror; reported, not fitted
//	 "mirrors": 10,                       // optional: mirrors in the run (some may never have been fresh)
//	 "date": "2026-12-02T01:00:00Z"}      // optional: when it was measured
type Calibration struct {
	Date                string    `json:"date,omitempty"`
	Mirrors             int       `json:"mirrors,omitempty"`
	RsyncSeconds        []float64 `json:"rsync_seconds"`
	PollIntervalSeconds *float64  `json:"poll_interval_seconds,omitempty"`
	JitterSeconds       *float64  `json:"jitter_seconds,omitempty"`
	FreshAfterSeconds   []float64 `json:"fresh_after_seconds,omitempty"`
}

// ParseCalibration decodes one calibration object strictly (unknown
// fields, trailing data and out-of-range numbers are errors) and checks it.
func ParseCalibration(data []byte) (Calibration, error) {
	if len(data) > MaxCalibrationBytes {
		return Calibration{}, fmt.Errorf("calibration: larger than %d bytes", MaxCalibrationBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Calibration
	if err := dec.Decode(&c); err != nil {
		return Calibration{}, fmt.Errorf("calibration: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Calibration{}, errors.New("calibration: data after the JSON object")
	}
	return c, c.check()
}

func (c Calibration) check() error {
	if len(c.RsyncSeconds) < 2 || len(c.RsyncSeconds) > maxSamples {
		return fmt.Errorf("calibration: rsync_seconds has %d values: want 2 to %d", len(c.RsyncSeconds), maxSamples)
	}
	if err := checkSeconds("rsync_seconds", c.RsyncSeconds, false); err != nil {
		return err
	}
	if len(c.FreshAfterSeconds) > maxSamples {
		return fmt.Errorf("calibration: fresh_after_seconds has %d values: want at most %d", len(c.FreshAfterSeconds), maxSamples)
	}
	if err := checkSeconds("fresh_after_seconds", c.FreshAfterSeconds, true); err != nil {
		return err
	}
	if p := c.PollIntervalSeconds; p != nil && !(*p >= 1 && *p <= maxConfigurableLength.Seconds()) {
		return fmt.Errorf("calibration: poll_interval_seconds %v: want 1 to %v", *p, maxConfigurableLength.Seconds())
	}
	if j := c.JitterSeconds; j != nil && !(*j >= 0 && *j <= maxConfigurableLength.Seconds()) {
		return fmt.Errorf("calibration: jitter_seconds %v: want 0 to %v", *j, maxConfigurableLength.Seconds())
	}
	return nil
}

func checkSeconds(field string, v []float64, zeroOK bool) error {
	for i, s := range v {
		if !finite(s) || s < 0 || (s == 0 && !zeroOK) || s > maxDraw.Seconds() {
			return fmt.Errorf("calibration: %s[%d] = %v: want a positive number of seconds up to %v", field, i, s, maxDraw.Seconds())
		}
	}
	return nil
}

// Rsync is the log-normal fitted to the measured sync durations.
func (c Calibration) Rsync() (LogNormal, error) { return FitLogNormal(c.RsyncSeconds) }

// PollInterval and Jitter are the file's figures, when it gives them.
func (c Calibration) PollInterval() (time.Duration, bool) { return seconds(c.PollIntervalSeconds) }

// Jitter is the agents' jitter, when the file gives it.
func (c Calibration) Jitter() (time.Duration, bool) { return seconds(c.JitterSeconds) }

func seconds(p *float64) (time.Duration, bool) {
	if p == nil {
		return 0, false
	}
	return time.Duration(*p * float64(time.Second)).Round(time.Millisecond), true
}

// Percentile is the q-quantile (nearest rank) of v in seconds; NaN if empty.
func Percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}
