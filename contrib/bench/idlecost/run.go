package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/benchhost"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// GoalBytes is DESIGN §5's bound on an idle poll.
const GoalBytes = 1024

// Report is one run.
type Report struct {
	Date         time.Time  `json:"date"`
	Command      string     `json:"command"`
	Machine      Machine    `json:"machine"`
	Config       string     `json:"signald_config"`
	RsyncVersion string     `json:"rsync_version"`
	Files        int        `json:"files"`
	FileBytes    int        `json:"file_bytes"`
	DNS          []DNSRow   `json:"dns"`
	RsyncFull    RsyncRow   `json:"rsync_first_sync"`
	RsyncNoop    []RsyncRow `json:"rsync_noop"` // one per round
	// PollBytes is the idle poll (signal TXT with DNSSEC); NoopBytes the
	// median no-op rsync; Ratio NoopBytes / PollBytes.
	PollBytes int64   `json:"poll_bytes"`
	NoopBytes int64   `json:"noop_rsync_bytes"`
	Ratio     float64 `json:"ratio"`
	GoalBytes int     `json:"goal_poll_bytes"`
	GoalMet   bool    `json:"goal_met"`
}

// Machine is where it ran.
type Machine struct {
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	LoadStart string `json:"loadavg_start"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("idlecost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fs.Int("files", 50000, "files in the rsync tree")
	rounds := fs.Int("rounds", 3, "no-op rsync runs (the median is reported)")
	cfgPath := fs.String("config", exampleConfig(), "signald configuration to serve the signal from (state_dir and listeners are replaced)")
	rsync := fs.String("rsync", "rsync", "the rsync program")
	out := fs.String("out", "contrib/bench/results/idle-latest.json", "JSON report path (empty: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *files < 1 || *files > 10_000_000 || *rounds < 1 || *rounds > 100 {
		return usageError{fmt.Errorf("-files %d, -rounds %d: want 1 to 10 000 000 files and 1 to 100 rounds", *files, *rounds)}
	}
	prog, err := exec.LookPath(*rsync)
	if err != nil {
		return fmt.Errorf("rsync: %w (Debian package rsync)", err)
	}
	r := &Report{Date: now().UTC(), Command: "idlecost " + strings.Join(args, " "), Config: *cfgPath,
		Machine:      Machine{CPUModel: benchhost.CPUModel(), Kernel: benchhost.Kernel(), LoadStart: benchhost.Load()},
		RsyncVersion: rsyncVersion(ctx, prog), Files: *files, FileBytes: fileSize, GoalBytes: GoalBytes}
	dir, err := os.MkdirTemp("", "idlecost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := measureSignal(ctx, r, *cfgPath, filepath.Join(dir, "signald"), now); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "idlecost: DNS measured; writing %d files\n", *files)
	if err := measureRsync(ctx, r, prog, dir, *rounds); err != nil {
		return err
	}
	r.summarise()
	var b strings.Builder
	r.WriteMarkdown(&b)
	if *out != "" {
		if err := r.WriteJSON(*out); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\nJSON: %s\n", *out)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func measureSignal(ctx context.Context, r *Report, cfgPath, stateDir string, now func() time.Time) error {
	s, err := startSignald(ctx, cfgPath, stateDir, now)
	if err != nil {
		return err
	}
	defer s.stop()
	r.DNS, err = measureDNS(ctx, s)
	return err
}

func measureRsync(ctx context.Context, r *Report, prog, dir string, rounds int) error {
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := makeTree(src, r.Files); err != nil {
		return err
	}
	d, err := startDaemon(ctx, prog, dir, src)
	if err != nil {
		return err
	}
	defer d.stop()
	if r.RsyncFull, err = sync(ctx, prog, "first sync", d.url, dst, []string{"-a"}); err != nil {
		return err
	}
	for i := range rounds {
		row, err := sync(ctx, prog, fmt.Sprintf("no-op %d", i+1), d.url, dst, []string{"-a"})
		if err != nil {
			return err
		}
		r.RsyncNoop = append(r.RsyncNoop, row)
	}
	return nil
}

func (r *Report) summarise() {
	totals := make([]int64, len(r.RsyncNoop))
	for i, row := range r.RsyncNoop {
		totals[i] = row.Total
	}
	slices.Sort(totals)
	r.NoopBytes = totals[len(totals)/2]
	r.PollBytes = int64(r.DNS[0].Total)
	if r.PollBytes > 0 {
		r.Ratio = float64(r.NoopBytes) / float64(r.PollBytes)
	}
	r.GoalMet = r.PollBytes <= GoalBytes
}

func rsyncVersion(ctx context.Context, prog string) string {
	out, err := exec.CommandContext(ctx, prog, "--version").Output()
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.Join(strings.Fields(first), " ")
}

// WriteMarkdown writes the figures as markdown tables.
func (r *Report) WriteMarkdown(b *strings.Builder) {
	b.WriteString("| idle poll | queries | request B | response B | total B | with IPv4+UDP headers B |\n|---|---|--:|--:|--:|--:|\n")
	for _, d := range r.DNS {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d |\n", d.Name, strings.Join(d.Queries, ", "), d.SentBytes, d.RecvBytes, d.Total, d.WithIPUDP)
	}
	b.WriteString("\n| rsync -a from the daemon | bytes sent | bytes received | total B | seconds |\n|---|--:|--:|--:|--:|\n")
	for _, row := range append([]RsyncRow{r.RsyncFull}, r.RsyncNoop...) {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %.2f |\n", row.Name, row.Sent, row.Received, row.Total, row.Seconds)
	}
	goal := "met"
	if !r.GoalMet {
		goal = "missed"
	}
	fmt.Fprintf(b, "\n- idle poll (signal TXT with DNSSEC): **%d B**; no-op rsync of %d files (median of %d): **%d B**; ratio **%.0f×**; goal ≤ %d B: %s\n",
		r.PollBytes, r.Files, len(r.RsyncNoop), r.NoopBytes, r.Ratio, GoalBytes, goal)
	fmt.Fprintf(b, "- signal served by signald in-process from %s; answer %q\n", r.Config, r.DNS[0].Answer)
	fmt.Fprintf(b, "- %s; machine: %s, Linux %s, load %s\n", r.RsyncVersion, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.LoadStart)
}

// WriteJSON writes the report to path atomically (temp file, rename),
// creating the directory.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}
