package dnsharness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// startTimeout bounds how long a server may take to answer after start.
const startTimeout = 20 * time.Second

// Process is a running server.
type Process struct {
	Name string
	Addr string // 127.0.0.1:port, UDP and TCP
	Dir  string
	cmd  *exec.Cmd
	out  *testtool.Buffer

	logFile string // where the server logs, when not to its output
}

// Output returns what the server printed so far, followed by its log
// file's content when it has one (NSD).
func (p *Process) Output() string {
	out := p.out.String()
	if p.logFile != "" {
		if b, err := os.ReadFile(p.logFile); err == nil {
			out += string(b)
		}
	}
	return out
}

// Stop ends the server and waits for it.
func (p *Process) Stop() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-done
		}
	}
}

// FreePort returns a loopback port free for both UDP and TCP.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// Start runs prog with args in dir, stops it at the end of the test and
// waits until ready returns nil, at most startTimeout. A missing prog skips
// the test, or fails it under CI (testtool.Path).
func Start(t testing.TB, name, prog string, args []string, dir, addr string, ready func() error) *Process {
	t.Helper()
	path := testtool.Path(t, prog)
	p := &Process{Name: name, Addr: addr, Dir: dir, out: &testtool.Buffer{}}
	p.cmd = exec.Command(path, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(p.Stop)
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s: %v\n%s", name, startTimeout, err, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
