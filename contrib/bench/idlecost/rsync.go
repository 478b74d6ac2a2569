package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Tree layout: files per directory, and each file's size.
const (
	filesPerDir   = 500
	fileSize      = 256
	daemonTimeout = 20 * time.Second
	maxStatsBytes = 1 << 20
)

// RsyncRow is one rsync run against the daemon.
type RsyncRow struct {
	Name     string  `json:"name"`
	Args     string  `json:"args"`
	Sent     int64   `json:"total_bytes_sent"`
	Received int64   `json:"total_bytes_received"`
	Total    int64   `json:"total_bytes"`
	Seconds  float64 `json:"seconds"`
}

// makeTree writes n small files into dir, filesPerDir to a directory.
func makeTree(dir string, n int) error {
	buf := bytes.Repeat([]byte("mirrorsignal idle-cost tree\n"), fileSize/28+1)[:fileSize]
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%04d", i/filesPerDir))
		if i%filesPerDir == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		copy(buf, fmt.Sprintf("%08d", i)) // every file differs
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%06d.rpm", i)), buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// daemon is a running rsync daemon serving module "tree".
type daemon struct {
	cmd *exec.Cmd
	url string
	log string
}

// startDaemon runs `rsync --daemon --no-detach` on 127.0.0.1 and a free
// port, serving tree read-only from a config in dir.
func startDaemon(ctx context.Context, rsync, dir, tree string) (*daemon, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "rsyncd.conf")
	d := &daemon{url: fmt.Sprintf("rsync://127.0.0.1:%d/tree/", port), log: filepath.Join(dir, "rsyncd.log")}
	text := fmt.Sprintf("use chroot = no\npid file = %s\nlog file = %s\n[tree]\n\tpath = %s\n\tread only = yes\n",
		filepath.Join(dir, "rsyncd.pid"), d.log, tree)
	if os.Geteuid() == 0 {
		text = "uid = root\ngid = root\n" + text // as root the daemon would drop to nobody, who may not read the temp dir
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	d.cmd = exec.CommandContext(ctx, rsync, "--daemon", "--no-detach", "--config="+conf,
		"--address=127.0.0.1", "--port="+strconv.Itoa(port))
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("rsync daemon: %w", err)
	}
	deadline := time.Now().Add(daemonTimeout)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return d, nil
		}
		if time.Now().After(deadline) {
			d.stop()
			log, _ := os.ReadFile(d.log)
			return nil, fmt.Errorf("rsync daemon not listening after %s: %v\n%s", daemonTimeout, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) stop() {
	if d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		d.cmd.Wait()
	}
}

// sync runs rsync with args and --stats from the daemon into dst.
func sync(ctx context.Context, rsync, name, url, dst string, args []string) (RsyncRow, error) {
	all := append(append([]string{}, args...), "--stats", url, dst+"/")
	cmd := exec.CommandContext(ctx, rsync, all...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return RsyncRow{}, fmt.Errorf("rsync %s: %w: %s", strings.Join(all, " "), err, strings.TrimSpace(errOut.String()))
	}
	sent, recv, err := ParseStats(out.Bytes())
	if err != nil {
		return RsyncRow{}, err
	}
	return RsyncRow{Name: name, Args: strings.Join(args, " "), Sent: sent, Received: recv, Total: sent + recv,
		Seconds: time.Since(start).Seconds()}, nil
}

// ParseStats reads "Total bytes sent: N" and "Total bytes received: N"
// from rsync --stats output (N may have thousands separators).
func ParseStats(out []byte) (sent, received int64, err error) {
	if len(out) > maxStatsBytes {
		return 0, 0, errors.New("rsync --stats output too long")
	}
	var haveSent, haveRecv bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Total bytes sent":
			sent, err = statNumber(v)
			haveSent = true
		case "Total bytes received":
			received, err = statNumber(v)
			haveRecv = true
		}
		if err != nil {
			return 0, 0, fmt.Errorf("rsync --stats %q: %w", sc.Text(), err)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if !haveSent || !haveRecv {
		return 0, 0, errors.New("rsync --stats: no Total bytes sent/received lines")
	}
	return sent, received, nil
}

// statNumber parses " 1,234" (or "1.234" in some locales) strictly.
func statNumber(v string) (int64, error) {
	v = strings.TrimSpace(v)
	digits := strings.NewReplacer(",", "", ".", "").Replace(v)
	if digits == "" || len(digits) > 18 {
		return 0, fmt.Errorf("bad number %q", v)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad number %q", v)
		}
	}
	return strconv.ParseInt(digits, 10, 64)
}
