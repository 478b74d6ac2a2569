package mirrorlistbench

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Stats are one wrk run's figures.
type Stats struct {
	Requests     int64   `json:"requests"`
	RPS          float64 `json:"requests_per_s"`
	TransferMBps float64 `json:"transfer_mb_per_s"`
	P50Ms        float64 `json:"latency_p50_ms"`
	P99Ms        float64 `json:"latency_p99_ms"`
	Non2xx       int64   `json:"non_2xx"`
	SocketErrors int64   `json:"socket_errors"`
}

// parseWrk reads wrk's output (run with --latency).
func parseWrk(out string) (Stats, error) {
	var s Stats
	var haveRPS bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "Requests/sec:" && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return s, fmt.Errorf("wrk: %q", sc.Text())
			}
			s.RPS, haveRPS = v, true
		case f[0] == "Transfer/sec:" && len(f) == 2:
			s.TransferMBps = parseBytes(f[1]) / 1e6
		case f[0] == "50%" && len(f) == 2:
			s.P50Ms = parseMs(f[1])
		case f[0] == "99%" && len(f) == 2:
			s.P99Ms = parseMs(f[1])
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			s.Requests, _ = strconv.ParseInt(f[0], 10, 64)
		case strings.HasPrefix(sc.Text(), "  Non-2xx or 3xx responses:"):
			s.Non2xx, _ = strconv.ParseInt(f[len(f)-1], 10, 64)
		case f[0] == "Socket" && len(f) > 2 && f[1] == "errors:":
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				s.SocketErrors += n
			}
		}
	}
	if !haveRPS {
		return s, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	return s, nil
}

// parseMs reads a wrk duration such as 850.00us, 1.23ms or 2.00s.
func parseMs(v string) float64 {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			x, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0
			}
			return x * float64(u.unit) / float64(time.Millisecond)
		}
	}
	return 0
}

// parseBytes reads a wrk size such as 2.29MB or 512.00KB.
func parseBytes(v string) float64 {
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.m
			break
		}
	}
	x, _ := strconv.ParseFloat(v, 64)
	return x * mult
}
