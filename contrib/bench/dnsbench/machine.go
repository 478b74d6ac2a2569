package dnsbench

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	LoadStart string `json:"loadavg_start"` // /proc/loadavg: other work on the machine skews a run
	LoadEnd   string `json:"loadavg_end"`
	DNSPerf   string `json:"dnsperf"`
}

func describeMachine() Machine {
	return Machine{
		CPUs:      runtime.NumCPU(),
		CPUModel:  cpuModel(),
		Kernel:    readTrimmed("/proc/sys/kernel/osrelease"),
		LoadStart: readTrimmed("/proc/loadavg"),
		DNSPerf:   programVersion("dnsperf", "-h"),
	}
}

func cpuModel() string {
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

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// programVersion runs prog with flag and returns the first output line
// that mentions a version, e.g. "NSD version 4.6.1".
func programVersion(prog, flag string) string {
	path, err := lookPath(prog)
	if err != nil {
		return "unknown"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, path, flag).CombinedOutput() // -h exits non-zero
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(strings.ToLower(line), "version") {
			return strings.TrimSpace(line)
		}
	}
	return "unknown"
}

// goVersion is the Go release a binary was built with.
func goVersion(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "unknown"
	}
	return "signald built with " + info.GoVersion
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
