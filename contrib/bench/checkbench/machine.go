package checkbench

import (
	"context"
	"os/exec"
	"runtime"
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
	Go        string `json:"go"`
	Mirmon    string `json:"mirmon"`
	Wget      string `json:"wget"`
}

func describeMachine() Machine {
	return Machine{
		CPUs:      runtime.NumCPU(),
		CPUModel:  benchhost.CPUModel(),
		Kernel:    benchhost.Kernel(),
		LoadStart: benchhost.Load(),
		Go:        runtime.Version(),
		Mirmon:    firstLine("dpkg-query", "-W", "-f", "mirmon ${Version}", "mirmon"),
		Wget:      firstLine("wget", "--version"),
	}
}

// firstLine is the first line prog prints, or "unknown".
func firstLine(prog string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, prog, args...).Output()
	if line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n"); err == nil && line != "" {
		return line
	}
	return "unknown"
}
