package dnsbench

import (
	"context"
	"debug/buildinfo"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/benchhost"
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
		CPUModel:  benchhost.CPUModel(),
		Kernel:    benchhost.Kernel(),
		LoadStart: benchhost.Load(),
		DNSPerf:   programVersion("dnsperf", "-h"),
	}
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
