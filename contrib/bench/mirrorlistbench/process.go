package mirrorlistbench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process group has after SIGTERM.
const stopGrace = 5 * time.Second

// process is a program pinned with taskset in its own process group; it
// dies with this process.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// start runs prog args under `taskset -c cpu`, its stderr to dir/name.log;
// stdout, when not nil, receives its standard output.
func start(name, cpu, dir string, stdout io.Writer, prog string, args ...string) (*process, error) {
	taskset, err := lookPath("taskset")
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(taskset, append([]string{"-c", cpu, prog}, args...)...)
	cmd.Dir = dir
	cmd.Stderr = logf
	cmd.Stdout = logf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// startChild starts this program as the serving child and returns it
// with the two addresses it prints.
func startChild(cpu, dir string, mirrors int) (*process, string, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", "", err
	}
	pr, pw := io.Pipe()
	p, err := start("signald-mirrorlist", cpu, dir, pw, self, "-serve", "-mirrors", fmt.Sprint(mirrors))
	if err != nil {
		return nil, "", "", err
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			line <- sc.Text()
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case l := <-line:
		addr, paddr, _ := strings.Cut(l, " ")
		return p, addr, paddr, nil
	case <-p.done:
		return nil, "", "", fmt.Errorf("the serving child exited: %s", p.tail())
	case <-time.After(30 * time.Second):
		p.Stop()
		return nil, "", "", fmt.Errorf("the serving child did not start")
	}
}

// Stop ends the process group.
func (p *process) Stop() {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// lookPath finds prog on PATH or in the sbin directories.
func lookPath(prog string) (string, error) {
	if p, err := exec.LookPath(prog); err == nil {
		return filepath.Abs(p)
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p, err := exec.LookPath(filepath.Join(dir, prog)); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in sbin: %w", prog, exec.ErrNotFound)
}
