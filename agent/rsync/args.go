package rsync

import (
	"fmt"
	"strings"
	"time"
)

// Stage says which part of a sync to run.
type Stage int

const (
	// Full is a complete sync: everything, deletions last (--delete-delay).
	Full Stage = iota
	// Packages is stage one of a two-stage sync: everything except the
	// metadata and the TIME file, and no deletions, so repository metadata
	// never names a package that is not there yet.
	Packages
	// Probe is the pre-flight: it copies the source's TIME file alone into
	// Dest, a scratch directory (never the tree), so the agent can check
	// the source is fresh before any run that deletes.
	Probe
)

func (s Stage) String() string {
	switch s {
	case Packages:
		return "packages"
	case Probe:
		return "probe"
	}
	return "full"
}

// DelayDir is rsync's --delay-updates staging directory; it is never
// copied from upstream nor deleted mid-run.
const DelayDir = ".~tmp~"

// Job is one rsync run.
type Job struct {
	Source         string   // rsync://host/module/path or host::module/path
	Dest           string   // local tree root
	Stage          Stage    //
	TimeFile       string   // relative to the tree; excluded in stage Packages
	Excludes       []string // always excluded
	Metadata       []string // excluded in stage Packages
	Options        []string // the admin's extra options, after the defaults
	MaxDelete      int      // full stage: --max-delete=MaxDelete when > 0; 0 = no limit
	ConnectTimeout time.Duration
	IOTimeout      time.Duration
}

// Args returns the rsync arguments of j. The defaults are --safe-links
// (drop symlinks pointing out of the tree), --delay-updates (put updated
// files in place together at the end) and, for a full stage,
// --delete-delay (delete only after the transfer) and --max-delete when
// j.MaxDelete is set, excluding .~tmp~. A Probe has its own short list.
func Args(j Job) []string {
	if j.Stage == Probe {
		return probeArgs(j)
	}
	args := append([]string{
		"--recursive", "--links", "--perms", "--times", "--hard-links",
		"--safe-links", "--delay-updates",
		"--exclude=" + DelayDir,
	}, timeouts(j)...)
	if j.Stage == Full {
		args = append(args, "--delete-delay")
		if j.MaxDelete > 0 {
			args = append(args, fmt.Sprintf("--max-delete=%d", j.MaxDelete))
		}
	}
	for _, e := range j.Excludes {
		args = append(args, "--exclude="+e)
	}
	if j.Stage == Packages {
		for _, e := range j.Metadata {
			args = append(args, "--exclude="+e)
		}
		args = append(args, "--exclude=/"+strings.TrimPrefix(j.TimeFile, "/"))
	}
	args = append(args, j.Options...)
	return append(args, withSlash(j.Source), withSlash(j.Dest))
}

// probeArgs copies SOURCE/TIME (one regular file, no recursion, nothing
// deleted) into Dest/, with the same timeouts and admin options as a sync
// (a --password-file or --port there is needed here too).
func probeArgs(j Job) []string {
	args := append([]string{"--times"}, timeouts(j)...)
	args = append(args, j.Options...)
	src := withSlash(j.Source) + strings.TrimPrefix(j.TimeFile, "/")
	return append(args, src, withSlash(j.Dest))
}

func timeouts(j Job) []string {
	out := []string{fmt.Sprintf("--timeout=%d", seconds(j.IOTimeout))}
	if isDaemon(j.Source) && j.ConnectTimeout > 0 {
		out = append(out, fmt.Sprintf("--contimeout=%d", seconds(j.ConnectTimeout)))
	}
	return out
}

func seconds(d time.Duration) int64 { return max(int64(d/time.Second), 1) }

func isDaemon(src string) bool {
	return strings.HasPrefix(src, "rsync://") || strings.Contains(src, "::")
}

// withSlash makes rsync copy the contents of a directory, not the directory.
func withSlash(p string) string {
	if strings.HasSuffix(p, "/") {
		return p
	}
	return p + "/"
}
