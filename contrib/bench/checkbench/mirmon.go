package checkbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// mirmon's settings for the runs, as TESTING.md found them to work.
const (
	// mirmonProbe is mirmon's probe line: wget, one try.
	mirmonProbe = "/usr/bin/wget -q -O - -T %TIMEOUT% -t 1 %URL%TIME"
	// mirmonCountries is the Debian package's country list.
	mirmonCountries = "/usr/share/mirmon/countries.list"
)

// ToolRun is one full round of one tool over one fleet.
type ToolRun struct {
	Tool    string  `json:"tool"` // "mirmon" or "checker"
	Mirrors int     `json:"mirrors"`
	Round   int     `json:"round"` // from 1
	WallS   float64 `json:"wall_s"`
	UserS   float64 `json:"user_s"`
	SysS    float64 `json:"sys_s"`
	// OK counts the mirrors the tool saw answer, Behind those whose TIME
	// trailed the signal (the checker tells; mirmon only keeps the age).
	OK        int     `json:"ok"`
	Behind    int     `json:"behind"`
	MaxRSSMiB float64 `json:"max_rss_mib"` // the largest process of the run (wait4's ru_maxrss)
}

// CPUS is user plus system time.
func (t ToolRun) CPUS() float64 { return t.UserS + t.SysS }

// runMirmon writes a mirmon configuration for ms in dir and times one
// `mirmon -q -c CONF -get all` with max_probes parallel probes. The wall
// time is the whole process's; CPU is mirmon's and its wgets' (wait4's
// rusage counts the children mirmon waited for).
func runMirmon(ctx context.Context, mirmon, dir string, ms []mirror, maxProbes int, timeout time.Duration) (ToolRun, error) {
	conf, state, err := writeMirmonConf(dir, ms, maxProbes, timeout)
	if err != nil {
		return ToolRun{}, err
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, mirmon, "-q", "-c", conf, "-get", "all")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return ToolRun{}, fmt.Errorf("mirmon: %w\n%s", err, out.Bytes())
	}
	r := ToolRun{Tool: "mirmon", Mirrors: len(ms), WallS: wall.Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.UserS, r.SysS = tvSeconds(ru.Utime), tvSeconds(ru.Stime)
		r.MaxRSSMiB = float64(ru.Maxrss) / 1024
	}
	data, err := os.ReadFile(state)
	if err != nil {
		return r, err
	}
	r.OK = countOK(data)
	return r, nil
}

// writeMirmonConf writes mirmon.conf, the mirror list and an empty state
// file (mirmon wants it to exist) into dir.
func writeMirmonConf(dir string, ms []mirror, maxProbes int, timeout time.Duration) (conf, state string, err error) {
	list := filepath.Join(dir, "mirror_list")
	state = filepath.Join(dir, "state")
	conf = filepath.Join(dir, "mirmon.conf")
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "de %s\n", m.url())
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		return "", "", err
	}
	c := fmt.Sprintf(`project_name checkbench
project_url http://%[1]s/
mirror_list %[2]s
state %[3]s
countries %[4]s
web_page %[5]s
icons icons
probe %[6]s
timeout %[7]d
max_probes %[8]d
`, hostDomain, list, state, mirmonCountries, filepath.Join(dir, "index.html"), mirmonProbe,
		int(timeout.Seconds()), maxProbes)
	return conf, state, os.WriteFile(conf, []byte(c), 0o644)
}

// countOK counts the mirrors of a mirmon state file whose last probe was
// "ok" (line: url age status …).
func countOK(state []byte) int {
	n := 0
	for line := range strings.Lines(string(state)) {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == "ok" {
			n++
		}
	}
	return n
}
