package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// rsync process limits.
const (
	// rsyncWaitDelay is how long Fetch waits for rsync's output pipes after
	// killing its process group.
	rsyncWaitDelay = 2 * time.Second
	// rsyncOutputKept is how much of rsync's output is kept to explain a
	// failure.
	rsyncOutputKept = 4096
	// maxDetail bounds the rsync output line quoted in an error.
	maxDetail = 200
)

// fetchRsync runs rsync to copy the one file u names into a fresh temp
// dir, reads it (at most BodyCap bytes) and removes the dir.
func (p *Prober) fetchRsync(ctx context.Context, u *url.URL, fam Family) ([]byte, error) {
	src, name, err := rsyncSource(u)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "probe-rsync-")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRsync, err)
	}
	defer os.RemoveAll(dir)
	out, err := p.runRsync(ctx, rsyncArgs(p.cfg, fam, src, dir))
	if err != nil {
		return nil, err
	}
	return readReceived(filepath.Join(dir, name), out, p.cfg.BodyCap)
}

// rsyncSource checks that u names one file in a module — no directory, no
// wildcard — and returns the source argument and the file's name.
func rsyncSource(u *url.URL) (src, name string, err error) {
	rel := strings.TrimPrefix(u.Path, "/")
	module, file, ok := strings.Cut(rel, "/")
	switch {
	case u.RawQuery != "" || u.Fragment != "":
		return "", "", fmt.Errorf("%w: an rsync URL has no query or fragment", ErrBadURL)
	case !ok || module == "" || file == "" || strings.HasSuffix(file, "/"):
		return "", "", fmt.Errorf("%w: %q does not name a file in a module", ErrBadURL, u.Path)
	case strings.ContainsAny(rel, "*?[\\"):
		return "", "", fmt.Errorf("%w: wildcards in %q", ErrBadURL, u.Path)
	}
	name = path.Base(file)
	if name == "." || name == ".." {
		return "", "", fmt.Errorf("%w: %q does not name a file", ErrBadURL, u.Path)
	}
	host := u.Host
	if u.User != nil {
		host = u.User.Username() + "@" + host
	}
	return "rsync://" + host + "/" + rel, name, nil
}

// rsyncArgs is the command line fetching src into dir: no MOTD, bounded
// connect and I/O times, files over the cap skipped (and said so).
func rsyncArgs(cfg Config, fam Family, src, dir string) []string {
	args := []string{
		"--no-motd",
		fmt.Sprintf("--contimeout=%d", seconds(cfg.RsyncConTimeout)),
		fmt.Sprintf("--timeout=%d", seconds(cfg.RsyncIOTimeout)),
		fmt.Sprintf("--max-size=%d", cfg.BodyCap),
		"--info=skip1",
	}
	switch fam {
	case IPv4:
		args = append(args, "-4")
	case IPv6:
		args = append(args, "-6")
	}
	return append(args, "--", src, dir+"/")
}

// seconds rounds d up to whole seconds, at least 1 (rsync's 0 means none).
func seconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// runRsync runs rsync in a session of its own, with an empty environment
// but PATH (no RSYNC_PROXY, RSYNC_PASSWORD, …; no terminal to ask a password
// on). When ctx ends the whole process group is killed.
func (p *Prober) runRsync(ctx context.Context, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, p.cfg.Rsync, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = rsyncWaitDelay
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	out := &tailBuffer{max: rsyncOutputKept}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		_ = killGroup(cmd) // helpers left behind by a killed rsync
	}
	if err == nil {
		return out.String(), nil
	}
	if ctx.Err() != nil {
		if timedOut(ctx) {
			return "", fmt.Errorf("%w: rsync killed after %v: %s", ErrTimeout, p.cfg.Timeout, detail(out.String()))
		}
		return "", fmt.Errorf("%w: %w", ErrCanceled, ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "", fmt.Errorf("%w: %s: %w", ErrRsync, p.cfg.Rsync, err)
	}
	return "", exitError(ee.ExitCode(), out.String())
}

func killGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// exitError explains rsync's exit code, quoting its output. It is pure.
func exitError(code int, out string) error {
	var reason error
	switch code {
	case 5: // error starting client-server protocol
		reason = ErrUnreachable
		if strings.Contains(out, "@ERROR") { // the daemon answered: unknown module, too busy, …
			reason = ErrProtocol
		}
	case 10, 35: // socket I/O (refused, reset, DNS), timeout waiting for the daemon
		reason = ErrUnreachable
	case 23: // partial transfer: the source file does not exist
		reason = ErrMissing
	case 30: // timeout in data send/receive, after connecting
		reason = ErrTimeout
	default:
		reason = ErrProtocol
	}
	return fmt.Errorf("%w: rsync exit %d: %s", reason, code, detail(out))
}

// readReceived reads the file rsync received, which must be a regular
// file. When there is none, rsync either skipped it as too big or found no
// regular file (a directory, a symlink) there.
func readReceived(file, out string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(file)
	switch {
	case errors.Is(err, os.ErrNotExist) && strings.Contains(out, "over max-size"):
		return nil, fmt.Errorf("%w: rsync skipped it, over %d bytes", ErrTooBig, limit)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: rsync received no regular file: %s", ErrMissing, detail(out))
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrRsync, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%w: received %v, not a regular file", ErrMissing, fi.Mode().Type())
	}
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRsync, err)
	}
	defer f.Close()
	return ReadCapped(f, limit)
}

// detail is the line of rsync's output that explains a failure: the first
// one that is not rsync's "rsync error: … (code N)" summary (lines after
// the summary, such as the receiver's "Connection reset by peer" once the
// sender gave up, are consequences), sanitized and capped.
func detail(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	line := lines[len(lines)-1]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "rsync error:") {
			line = l
			break
		}
	}
	return sanitize(line, maxDetail)
}

// sanitize replaces control characters, non-printing runes and invalid
// UTF-8 with '?' and cuts s to at most n bytes and an ellipsis.
func sanitize(s string, n int) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
