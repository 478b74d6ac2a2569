// Package benchhost describes the machine a benchmark ran on (CPU model,
// kernel, load), for the benchmark harnesses under contrib/bench.
package benchhost

import (
	"bufio"
	"os"
	"strings"
)

// CPUModel is the first "model name" of /proc/cpuinfo, or "unknown".
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Kernel is the running kernel's release.
func Kernel() string { return ReadTrimmed("/proc/sys/kernel/osrelease") }

// Load is /proc/loadavg: other work on the machine skews a run.
func Load() string { return ReadTrimmed("/proc/loadavg") }

// ReadTrimmed is the file's content without surrounding space, or
// "unknown".
func ReadTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
