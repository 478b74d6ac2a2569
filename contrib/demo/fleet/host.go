package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Host timing.
const (
	// listenWait bounds the wait for an rsync daemon to listen.
	listenWait = 10 * time.Second
	// daemonStop is the grace an rsync daemon gets after SIGTERM.
	daemonStop = 2 * time.Second
	// httpTimeout bounds a request to a host's HTTP server.
	httpTimeout = 30 * time.Second
)

// host is one machine of the fleet: a tree served by an rsync daemon
// (module "content") and, except for the master, an HTTP file server.
type host struct {
	Name string // e.g. t1-a.demo.test
	IP   string // its loopback address
	Dir  string // the tree's root
	Tier int    // 0 master, 1 tier-1, 2 mirror

	rsyncPort int
	rsyncd    *process
	http      *http.Server
	httpURL   string
}

// RsyncURL is the tree's rsync base URL.
func (h *host) RsyncURL() string {
	return fmt.Sprintf("rsync://%s:%d/%s/", h.IP, h.rsyncPort, module)
}

// HTTPURL is the tree's HTTP base URL; "" for the master.
func (h *host) HTTPURL() string { return h.httpURL }

// module is the rsync module (and tree) every host serves.
const module = "content"

// serve starts the host's rsync daemon and, when withHTTP, its HTTP
// server. Its files go under work.
func (h *host) serve(rsync, work string, withHTTP bool) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := h.startRsyncd(rsync, work); err != nil {
		return err
	}
	if withHTTP {
		return h.startHTTP()
	}
	return nil
}

// startRsyncd runs `rsync --daemon --no-detach` on a free port of h.IP,
// trying another port when one was taken meanwhile.
func (h *host) startRsyncd(rsync, work string) error {
	conf := filepath.Join(work, "rsyncd.conf")
	if err := os.WriteFile(conf, []byte(rsyncdConf(work, h.Dir)), 0o644); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(work, "rsyncd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own descriptor
	var last error
	for range 5 {
		port, err := freePort(h.IP)
		if err != nil {
			return err
		}
		p, err := startProcess("rsync daemon of "+h.Name, rsync, []string{"--daemon", "--no-detach",
			"--config=" + conf, "--address=" + h.IP, "--port=" + strconv.Itoa(port)}, log)
		if err != nil {
			return err
		}
		if last = waitListening(net.JoinHostPort(h.IP, strconv.Itoa(port)), p); last == nil {
			h.rsyncd, h.rsyncPort = p, port
			return nil
		}
		_ = p.stop(syscall.SIGKILL, 0)
	}
	return fmt.Errorf("rsync daemon of %s: %w", h.Name, last)
}

func rsyncdConf(work, dir string) string {
	conf := fmt.Sprintf("use chroot = no\npid file = %s/rsyncd.pid\nlog file = %s/rsyncd.log\nmax connections = 0\n", work, work)
	if os.Geteuid() == 0 { // rsync drops to nobody by default
		conf += fmt.Sprintf("uid = %d\ngid = %d\n", os.Getuid(), os.Getgid())
	}
	return conf + fmt.Sprintf("[%s]\npath = %s\nread only = yes\n", module, dir)
}

// startHTTP serves h.Dir on a free port of h.IP.
func (h *host) startHTTP() error {
	l, err := net.Listen("tcp", net.JoinHostPort(h.IP, "0"))
	if err != nil {
		return fmt.Errorf("HTTP server of %s: %w", h.Name, err)
	}
	h.http = &http.Server{Handler: http.FileServer(http.Dir(h.Dir)),
		ReadHeaderTimeout: httpTimeout, ReadTimeout: httpTimeout, WriteTimeout: httpTimeout, IdleTimeout: httpTimeout}
	h.httpURL = "http://" + l.Addr().String() + "/"
	go func() { _ = h.http.Serve(l) }()
	return nil
}

// stop ends the host's servers.
func (h *host) stop() error {
	var err error
	if h.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), daemonStop)
		err = h.http.Shutdown(ctx)
		cancel()
		if err != nil {
			err = errors.Join(err, h.http.Close())
		}
	}
	if h.rsyncd != nil {
		err = errors.Join(err, h.rsyncd.stop(syscall.SIGTERM, daemonStop))
	}
	return err
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts a connection, or p has ended, or
// listenWait has passed.
func waitListening(addr string, p *process) error {
	deadline := time.Now().Add(listenWait)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("exited: %v (see rsyncd.out)", p.err)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %s", addr, listenWait)
}

// openLog opens (appends to) a log file under dir.
func openLog(dir, name string) (io.WriteCloser, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}
