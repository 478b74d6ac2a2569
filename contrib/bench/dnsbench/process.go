package dnsbench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process group has to exit after SIGTERM before
// it is killed.
const stopGrace = 5 * time.Second

// process is a program started in its own process group, pinned to a CPU
// with taskset, with its output in a log file. It dies with this process
// (Pdeathsig) and Stop ends the whole group (NSD forks its workers).
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, valid after done
}

// startProcess runs prog with args under `taskset -c cpu` in dir, with env
// added to the environment, its output going to dir/<name>.log.
func startProcess(name, cpu, dir string, env []string, prog string, args ...string) (*process, error) {
	taskset, err := lookPath("taskset")
	if err != nil {
		return nil, err
	}
	path, err := lookPath(prog)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(taskset, append([]string{"-c", cpu, path}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after stopGrace,
// and waits for the process.
func (p *process) Stop() {
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
		}
	}
	// Children (NSD's xfrd and server) may outlive their parent.
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// tail returns the last lines of the process's log, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// lookPath finds prog on PATH, then in the sbin directories where Debian
// puts servers, which a non-root PATH lacks.
func lookPath(prog string) (string, error) {
	if p, err := exec.LookPath(prog); err == nil {
		return filepath.Abs(p) // a relative path must survive cmd.Dir
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p, err := exec.LookPath(filepath.Join(dir, prog)); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in sbin (Debian package %s): %w", prog, debianPackage(prog), exec.ErrNotFound)
}

func debianPackage(prog string) string {
	switch prog {
	case "knotd":
		return "knot"
	case "taskset":
		return "util-linux"
	}
	return prog
}

var errExited = errors.New("exited")

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go supports).
const userHZ = 100

// cpuTime is the CPU time (user + system) used so far by the live
// processes of p's process group: all of NSD's forks, all of Knot's and
// signald's threads.
func (p *process) cpuTime() time.Duration {
	pgid := p.cmd.Process.Pid
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		if pg, t, ok := parseProcStat(string(b)); ok && pg == pgid {
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// parseProcStat returns the process group and utime+stime (in ticks) from
// the content of /proc/PID/stat. The command name, in parentheses, may
// hold spaces, so fields are counted after its closing parenthesis.
func parseProcStat(s string) (pgrp int, ticks int64, ok bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	// After ")": state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime …
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	pg, err1 := strconv.Atoi(f[2])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	return pg, ut + st, true
}

// usedCPU is the CPU time an exited process used (from wait4's rusage).
func (p *process) usedCPU() time.Duration {
	st := p.cmd.ProcessState
	if st == nil {
		return 0
	}
	return st.UserTime() + st.SystemTime()
}
