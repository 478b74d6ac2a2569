package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server"
	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Fleet timing.
const (
	// startWait bounds the wait for signald to answer after Run.
	startWait = 30 * time.Second
	// agentStop is the grace an agent gets after SIGTERM to stop its rsync.
	agentStop = 5 * time.Second
	// signaldStop bounds the wait for signald's Run to return (its own
	// shutdown is bounded at 10 s).
	signaldStop = 15 * time.Second
	// initialAge is how old the trees' first content is.
	initialAge = time.Hour
)

// Fleet is a running loopback mirror network. Close stops it.
type Fleet struct {
	o       Options
	master  *host
	tier1   []*host
	mirrors []*host

	cfg      config.Config
	sd       *server.Signald
	sdCancel context.CancelFunc
	sdDone   chan error
	admin    *adminclient.Client

	agents    []*process
	feedStop  context.CancelFunc
	feeds     sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex
	release  int                    // content versions written to the master
	fed      map[string][]Tier1Sync // per tier-1 host, its syncs from the master
	closers  []func() error
	stamp0   int64
	dnsAddr  string
	httpAddr string
}

// Start builds the fleet under o.Dir and starts everything: the hosts'
// servers, signald, the agents and the tier-1 feeds. On error what was
// started is stopped again.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, err
	}
	f := &Fleet{o: o, fed: map[string][]Tier1Sync{}, stamp0: time.Now().Add(-initialAge).Unix()}
	f.layout()
	steps := []func(context.Context) error{f.seed, f.serveHosts, f.startSignald, f.startAgents}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	f.startFeeds()
	o.Log.Info("fleet up", "tier1", len(f.tier1), "mirrors", len(f.mirrors), "http", f.httpAddr, "dns", f.dnsAddr)
	return f, nil
}

// layout names the hosts and gives each its address and tree.
func (f *Fleet) layout() {
	f.master = &host{Name: "master.demo.test", IP: "127.0.0.2", Dir: f.path("master", "tree")}
	for i := range f.o.Tier1 {
		name := fmt.Sprintf("t1-%c.demo.test", 'a'+i%26)
		if i >= 26 {
			name = fmt.Sprintf("t1-%d.demo.test", i+1)
		}
		f.tier1 = append(f.tier1, &host{Name: name, IP: fmt.Sprintf("127.0.1.%d", i+1), Dir: f.path("tier1", name, "tree"), Tier: 1})
	}
	for i := range f.o.Mirrors {
		name := fmt.Sprintf("m%02d.demo.test", i+1)
		f.mirrors = append(f.mirrors, &host{Name: name, IP: fmt.Sprintf("127.0.2.%d", i+1), Dir: f.path("mirrors", name, "tree"), Tier: 2})
	}
}

func (f *Fleet) path(elem ...string) string {
	return filepath.Join(append([]string{f.o.Dir}, elem...)...)
}

// seed writes the first content, an hour old, on the master and copies it
// to every host: the fleet starts in step, before any publish.
func (f *Fleet) seed(ctx context.Context) error {
	if err := writeRelease(f.master.Dir, 0, f.o.Files, f.o.FileSize); err != nil {
		return err
	}
	if err := writeTime(f.master.Dir, f.stamp0); err != nil {
		return err
	}
	// Dated as published an hour ago: a TIME file planted within the
	// same second as this one was written, of the same size, would pass
	// rsync's quick check (size and whole-second mtime) and never be sent.
	if err := backdate(f.master.Dir, time.Unix(f.stamp0, 0)); err != nil {
		return err
	}
	for _, h := range f.hosts() {
		if err := copyTree(ctx, f.o.Rsync, f.master.Dir, h.Dir); err != nil {
			return fmt.Errorf("seed %s: %w", h.Name, err)
		}
	}
	return nil
}

// hosts are the tier-1 hosts and the mirrors.
func (f *Fleet) hosts() []*host {
	return append(append([]*host(nil), f.tier1...), f.mirrors...)
}

func (f *Fleet) serveHosts(context.Context) error {
	if err := f.master.serve(f.o.Rsync, f.path("master"), false); err != nil {
		return err
	}
	for _, h := range f.hosts() {
		if err := h.serve(f.o.Rsync, filepath.Dir(h.Dir), true); err != nil {
			return err
		}
	}
	return nil
}

// startSignald writes signald.toml and mirrors.toml, runs signald
// in-process and waits until it answers over HTTP and the admin socket.
func (f *Fleet) startSignald(ctx context.Context) error {
	dnsPort, err := freeUDPTCPPort("127.0.0.1")
	if err != nil {
		return err
	}
	httpPort, err := freePort("127.0.0.1")
	if err != nil {
		return err
	}
	f.dnsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(dnsPort))
	f.httpAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
	dir := f.path("signald")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "mirrors.toml"), []byte(f.mirrorsTOML()), 0o644); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "signald.toml")
	if err := os.WriteFile(cfgPath, []byte(f.signaldTOML(f.dnsAddr, f.httpAddr)), 0o644); err != nil {
		return err
	}
	if f.cfg, err = config.Load(cfgPath); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(f.o.SignaldLog, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sdCtx, cancel := context.WithCancel(context.Background())
	sd, err := server.New(sdCtx, f.cfg, log, time.Now)
	if err != nil {
		cancel()
		return fmt.Errorf("signald: %w", err)
	}
	f.sd, f.sdCancel, f.sdDone = sd, cancel, make(chan error, 1)
	go func() { f.sdDone <- sd.Run(sdCtx) }()
	f.admin = adminclient.Socket(f.cfg.StatePath(f.cfg.Admin.Listen))
	return f.waitSignald(ctx)
}

// waitSignald waits until /healthz answers 200 and the zone is loaded.
func (f *Fleet) waitSignald(ctx context.Context) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		select {
		case err := <-f.sdDone:
			f.sdDone <- err // for Close
			return fmt.Errorf("signald stopped at start: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := c.Get("http://" + f.httpAddr + "/healthz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if _, err := os.Stat(f.cfg.StatePath(f.cfg.Admin.Listen)); resp.StatusCode == http.StatusOK && err == nil && f.sd.Status().Signal.Loaded {
			return nil
		}
	}
	return fmt.Errorf("signald did not answer on http://%s/healthz within %s", f.httpAddr, startWait)
}

// startAgents writes each mirror's agent.toml, with the DS of signald's
// key as the pin, and starts `mirror-agent daemon` for each.
func (f *Fleet) startAgents(context.Context) error {
	keys, err := dnssec.LoadDir(f.cfg.KeyDir(), f.cfg.Zone.Origin)
	if err != nil || len(keys) == 0 {
		return fmt.Errorf("signald's DNSSEC key: %v (%d keys)", err, len(keys))
	}
	ds := keys[0].DS().String()
	for i, m := range f.mirrors {
		work := f.path("agents", m.Name)
		if err := os.MkdirAll(work, 0o700); err != nil {
			return err
		}
		cfg := filepath.Join(work, "agent.toml")
		if err := os.WriteFile(cfg, []byte(f.agentTOML(m, i, ds, f.dnsAddr)), 0o600); err != nil {
			return err
		}
		out, err := openLog(work, "agent.out")
		if err != nil {
			return err
		}
		f.closers = append(f.closers, out.Close)
		p, err := startProcess("mirror-agent of "+m.Name, f.o.AgentBinary, []string{"daemon", "-config", cfg}, out)
		if err != nil {
			return err
		}
		f.agents = append(f.agents, p)
	}
	return nil
}

func (f *Fleet) agentLog(m *host) string { return f.path("agents", m.Name, "agent.log") }

// Close stops the agents (SIGTERM, then SIGKILL to their groups), the
// tier-1 feeds, signald and the hosts' servers, in that order. It is safe
// to call more than once.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() { f.closeErr = f.close() })
	return f.closeErr
}

func (f *Fleet) close() error {
	var errs []error
	var wg sync.WaitGroup
	errc := make(chan error, len(f.agents))
	for _, p := range f.agents {
		wg.Go(func() { errc <- p.stop(syscall.SIGTERM, agentStop) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		errs = append(errs, err)
	}
	if f.feedStop != nil {
		f.feedStop()
		f.feeds.Wait()
	}
	if f.sdCancel != nil {
		f.sdCancel()
		select {
		case err := <-f.sdDone:
			errs = append(errs, err)
		case <-time.After(signaldStop):
			errs = append(errs, fmt.Errorf("signald still running %s after the stop", signaldStop))
		}
	}
	for _, h := range append([]*host{f.master}, f.hosts()...) {
		errs = append(errs, h.stop())
	}
	for _, c := range f.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Status is signald's current status snapshot.
func (f *Fleet) Status() *status.Snapshot { return f.sd.Status() }

// StatusURL is signald's status page.
func (f *Fleet) StatusURL() string { return "http://" + f.httpAddr + "/" }

// DNSAddr is where signald answers DNS.
func (f *Fleet) DNSAddr() string { return f.dnsAddr }

// Config is signald's configuration.
func (f *Fleet) Config() config.Config { return f.cfg }

// Options are the fleet's options, defaults filled in.
func (f *Fleet) Options() Options { return f.o }

// Mirrors names the mirrors (tier 2), and Tier1 the tier-1 hosts.
func (f *Fleet) Mirrors() []string { return names(f.mirrors) }

// Tier1 names the tier-1 hosts.
func (f *Fleet) Tier1() []string { return names(f.tier1) }

// Tree is the name of the fleet's one tree.
func (f *Fleet) Tree() string { return tree }

// AgentPIDs are the agents' process ids.
func (f *Fleet) AgentPIDs() []int {
	out := make([]int, len(f.agents))
	for i, p := range f.agents {
		out[i] = p.PID()
	}
	return out
}

func names(hs []*host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// freeUDPTCPPort finds a port free for both UDP and TCP on ip.
func freeUDPTCPPort(ip string) (int, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port free for both UDP and TCP")
}
