package mirrorlistbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/benchhost"
)

// Options are one run's settings.
type Options struct {
	Command     string
	Mirrors     int    // fixture size
	Query       string // of /mirrorlist
	Duration    time.Duration
	Warmup      time.Duration
	Rounds      int
	Connections int
	ServerCPU   string
	ClientCPU   string
	// Profile is how long the handler's CPU is profiled under load after
	// the rounds; 0: no profile. ProfileOut keeps the profile file.
	Profile    time.Duration
	ProfileOut string
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch {
	case o.Mirrors < 1 || o.Mirrors > 100000:
		return fmt.Errorf("mirrors %d: want 1 to 100000", o.Mirrors)
	case o.Duration < time.Second:
		return fmt.Errorf("duration %s: want at least 1s", o.Duration)
	case o.Rounds < 1:
		return fmt.Errorf("rounds %d: want at least 1", o.Rounds)
	case o.Connections < 1:
		return fmt.Errorf("connections %d: want at least 1", o.Connections)
	case o.ServerCPU == "" || o.ClientCPU == "":
		return errors.New("server and client CPUs are required")
	}
	return nil
}

// servers measured, the baseline last.
const (
	signald  = "signald"
	baseline = "nginx"
)

// Run measures both servers and returns the report.
func Run(ctx context.Context, o Options, log io.Writer) (*Report, error) {
	dir, err := os.MkdirTemp("", "mirrorlistbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	r := &Report{Date: time.Now().UTC(), Command: o.Command, Query: o.Query, Mirrors: o.Mirrors,
		DurationS: o.Duration.Seconds(), WarmupS: o.Warmup.Seconds(), Rounds: o.Rounds, Connections: o.Connections,
		ServerCPU: o.ServerCPU, ClientCPU: o.ClientCPU, Machine: describeMachine()}
	child, addr, paddr, err := startChild(o.ServerCPU, dir, o.Mirrors)
	if err != nil {
		return nil, err
	}
	defer child.Stop()
	path := "/mirrorlist?" + o.Query
	body, err := get(ctx, "http://"+addr+path)
	if err != nil {
		return nil, fmt.Errorf("signald: %w", err)
	}
	r.BodyBytes, r.BodyLines = len(body), bytes.Count(body, []byte("\n"))
	ngx, naddr, err := startNginx(o.ServerCPU, dir, body)
	if err != nil {
		return nil, err
	}
	defer ngx.Stop()
	if nb, err := get(ctx, "http://"+naddr+path); err != nil || !bytes.Equal(nb, body) {
		return nil, fmt.Errorf("nginx does not serve the same bytes (%d, want %d): %v", len(nb), len(body), err)
	}
	urls := map[string]string{signald: "http://" + addr + path, baseline: "http://" + naddr + path}
	for round := 1; round <= o.Rounds; round++ {
		order := []string{signald, baseline}
		if round%2 == 0 {
			order = []string{baseline, signald}
		}
		for _, srv := range order {
			if o.Warmup > 0 {
				if _, err := runWrk(ctx, o, urls[srv], o.Warmup); err != nil {
					return nil, err
				}
			}
			st, err := runWrk(ctx, o, urls[srv], o.Duration)
			if err != nil {
				return nil, fmt.Errorf("%s round %d: %w", srv, round, err)
			}
			fmt.Fprintf(log, "round %d %-8s %9.0f req/s  p99 %.2f ms  non-2xx %d\n", round, srv, st.RPS, st.P99Ms, st.Non2xx)
			r.Results = append(r.Results, Result{Server: srv, Round: round, Stats: st})
		}
	}
	r.LoadEnd = benchhost.Load()
	if o.Profile > 0 {
		top, err := profile(ctx, o, urls[signald], paddr, dir)
		if err != nil {
			fmt.Fprintf(log, "profile: %v\n", err)
		}
		r.ProfileTop = top
	}
	r.summarise()
	return r, nil
}

func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return b, err
}

// runWrk loads u for d from the client CPU.
func runWrk(ctx context.Context, o Options, u string, d time.Duration) (Stats, error) {
	taskset, err := lookPath("taskset")
	if err != nil {
		return Stats{}, err
	}
	wrk, err := lookPath("wrk")
	if err != nil {
		return Stats{}, err
	}
	secs := strconv.Itoa(int(d.Round(time.Second) / time.Second))
	cmd := exec.CommandContext(ctx, taskset, "-c", o.ClientCPU, wrk, "-t1", "-c"+strconv.Itoa(o.Connections),
		"-d"+secs+"s", "--latency", u)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Stats{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

// profile takes a CPU profile of the serving child under load and
// returns the top of `go tool pprof -top`.
func profile(ctx context.Context, o Options, u, paddr, dir string) ([]string, error) {
	load := make(chan error, 1)
	go func() {
		_, err := runWrk(ctx, o, u, o.Profile+2*time.Second)
		load <- err
	}()
	time.Sleep(time.Second)
	prof, err := get(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", paddr, int(o.Profile/time.Second)))
	if lerr := <-load; err == nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "cpu.pprof")
	if o.ProfileOut != "" {
		path = o.ProfileOut
	}
	if err := os.WriteFile(path, prof, 0o644); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=30", self, path).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof: %w\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n"), nil
}

// Machine describes where a run happened.
type Machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	LoadStart string `json:"loadavg_start"`
	Go        string `json:"go"`
	Nginx     string `json:"nginx"`
	Wrk       string `json:"wrk"`
}

func describeMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), CPUModel: benchhost.CPUModel(), Kernel: benchhost.Kernel(),
		LoadStart: benchhost.Load(), Go: runtime.Version(), Nginx: version("nginx", "-v"), Wrk: version("wrk", "-v")}
}

// version is the first line of prog's version output.
func version(prog, flag string) string {
	path, err := lookPath(prog)
	if err != nil {
		return "unknown"
	}
	out, _ := exec.Command(path, flag).CombinedOutput() // wrk -v exits 1
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
