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

// /proc/stat's per-CPU columns, from the first after the name.
const (
	colIdle   = 3
	colIOWait = 4
	colSteal  = 7
	nCols     = 8 // user nice system idle iowait irq softirq steal; guest time is already in user
)

// statTicks sums, over cpus, each of /proc/stat content's first nCols
// columns, in USER_HZ ticks.
func statTicks(stat string, cpus []int) ([nCols]int64, error) {
	var total [nCols]int64
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
		for i, v := range f[1:min(len(f), nCols+1)] {
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return total, fmt.Errorf("/proc/stat %s: %w", f[0], err)
			}
			total[i] += t
		}
	}
	if found != len(cpus) {
		return total, fmt.Errorf("/proc/stat: found %d of CPUs %v", found, cpus)
	}
	return total, nil
}

// busyTicks is the time cpus were busy (every column but idle and
// iowait; steal included), in ticks.
func busyTicks(stat string, cpus []int) (int64, error) {
	cols, err := statTicks(stat, cpus)
	var busy int64
	for i, t := range cols {
		if i != colIdle && i != colIOWait {
			busy += t
		}
	}
	return busy, err
}

// cpuBusy is how long cpus have been busy since boot; 0 if unknown.
func cpuBusy(cpus []int) time.Duration {
	return procStatTime(cpus, busyTicks)
}

// cpuSteal is how long the hypervisor has kept cpus from running while
// they had work (steal) since boot; 0 if unknown.
func cpuSteal(cpus []int) time.Duration {
	return procStatTime(cpus, func(stat string, cpus []int) (int64, error) {
		cols, err := statTicks(stat, cpus)
		return cols[colSteal], err
	})
}

func procStatTime(cpus []int, ticks func(string, []int) (int64, error)) time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	t, err := ticks(string(b), cpus)
	if err != nil {
		return 0
	}
	return time.Duration(t) * time.Second / userHZ
}
