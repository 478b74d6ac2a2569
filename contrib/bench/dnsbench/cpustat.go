package dnsbench

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseCPUList parses a taskset CPU list such as "0", "2,3" or "0-3".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return nil, fmt.Errorf("CPU list %q: bad element %q", s, part)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// busyTicks sums, over cpus, the time /proc/stat content shows them busy
// (every column but idle and iowait), in USER_HZ ticks.
func busyTicks(stat string, cpus []int) (int64, error) {
	var total int64
	found := 0
	for line := range strings.SplitSeq(stat, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil || !slices.Contains(cpus, n) {
			continue
		}
		found++
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user.
		for i, v := range f[1:min(len(f), 9)] {
			if i == 3 || i == 4 {
				continue
			}
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat %s: %w", f[0], err)
			}
			total += t
		}
	}
	if found != len(cpus) {
		return 0, fmt.Errorf("/proc/stat: found %d of CPUs %v", found, cpus)
	}
	return total, nil
}

// cpuBusy is how long cpus have been busy since boot; 0 if unknown.
func cpuBusy(cpus []int) time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	t, err := busyTicks(string(b), cpus)
	if err != nil {
		return 0
	}
	return time.Duration(t) * time.Second / userHZ
}
