package dnsbench

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseOutput(t *testing.T) {
	for _, c := range []struct {
		file string
		want Stats
	}{
		{"dnsperf-udp.txt", Stats{Sent: 11, Completed: 10, Lost: 1, NoError: 9, RunTime: 10.000335,
			QPS: 0.999966, RespBytes: 60, AvgMs: 0.944, P50Ms: 0.5, P99Ms: 4.943, MaxMs: 4.943, Samples: 10}},
		// The "Connection Statistics" latency is not the queries'.
		{"dnsperf-tcp.txt", Stats{Sent: 6, Completed: 6, NoError: 6, RunTime: 0.010108,
			QPS: 593.589236, RespBytes: 60, AvgMs: 0.040, P50Ms: 0.068, P99Ms: 0.102, MaxMs: 0.131, Samples: 6}},
		{"dnsperf-timeout.txt", Stats{Sent: 3, Lost: 3, RunTime: 1.000198}},
	} {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := parseOutput(f)
			if err != nil {
				t.Fatal(err)
			}
			if !statsEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// statsEqual compares up to float rounding (milliseconds from seconds).
func statsEqual(a, b Stats) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		x, y := va.Field(i), vb.Field(i)
		if x.CanFloat() {
			if math.Abs(x.Float()-y.Float()) > 1e-9 {
				return false
			}
		} else if !x.Equal(y) {
			return false
		}
	}
	return true
}

func TestParseOutputErrors(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      error
	}{
		{"empty", "", errNoSummary},
		{"failed", "Error: could not open queries.txt\n", errNoSummary},
		{"truncated", "Statistics:\n\n  Queries sent:         3\n", errNoSummary},
		{"bad latency", "> NOERROR current.mirrors.example.test TXT 0.0x1\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseOutput(strings.NewReader(c.out))
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestPercentileMs(t *testing.T) {
	hundred := make([]int32, 100)
	for i := range hundred {
		hundred[i] = int32(i+1) * 1000 // 1..100 ms
	}
	for _, c := range []struct {
		name   string
		sorted []int32
		p      float64
		want   float64
	}{
		{"empty", nil, 99, 0},
		{"one", []int32{250}, 99, 0.25},
		{"p50 of 100", hundred, 50, 50},
		{"p99 of 100", hundred, 99, 99},
		{"p100 of 100", hundred, 100, 100},
		{"p99 of 2 is the max", []int32{1000, 2000}, 99, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := percentileMs(c.sorted, c.p); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDNSPerfArgs(t *testing.T) {
	m, _ := findMode("udp-do")
	got := strings.Join(dnsperfArgs(m, "127.0.0.1:5353", "q.txt", 10, 20000), " ")
	want := "-s 127.0.0.1 -p 5353 -d q.txt -l 10 -t 2 -v -Q 20000 -m udp -D -c 1 -q 100"
	if got != want {
		t.Errorf("latency run:\ngot  %s\nwant %s", got, want)
	}
	got = strings.Join(dnsperfArgs(m, "127.0.0.1:5353", "q.txt", 0.5, 0), " ")
	if want := "-s 127.0.0.1 -p 5353 -d q.txt -l 0.5 -t 2 -m udp -D -c 1 -q 100"; got != want {
		t.Errorf("throughput run:\ngot  %s\nwant %s", got, want)
	}
}
