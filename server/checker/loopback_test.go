package checker

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// probeTimeout bounds each real probe of the loopback test.
const probeTimeout = 2 * time.Second

// serveOn starts an HTTP server with h on addr ("127.0.0.2:0").
func serveOn(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot bind %s (loopback addresses other than 127.0.0.1 need Linux): %v", addr, err)
	}
	s := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	s.Start()
	t.Cleanup(s.Close)
	return s.URL + "/"
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, s) }
}

// trickle sends a byte every 200 ms for at most 20 s: slower than any
// probe may take.
func trickle(w http.ResponseWriter, r *http.Request) {
	for range 100 {
		if _, err := w.Write([]byte("1")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// closedAddr returns an address of ip nobody listens on.
func closedAddr(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot bind %s: %v", ip, err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// ipv6Only serves h on [::1] at a port where 127.0.0.1 refuses, and
// returns that port; false, with the reason logged, when [::1] cannot be
// bound.
func ipv6Only(t *testing.T, h http.Handler) (int, bool) {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Logf("SKIP the IPv6-only mirror: cannot bind [::1] (IPv6 disabled on loopback?): %v", err)
			return 0, false
		}
		port := l.Addr().(*net.TCPAddr).Port
		if c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close() // the IPv4 twin port is taken: try another
			l.Close()
			continue
		}
		s := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
		s.Start()
		t.Cleanup(s.Close)
		return port, true
	}
	t.Fatal("no [::1] port whose 127.0.0.1 twin is free")
	return 0, false
}

// dualHost stands in for DNS: it sends the probes of the host dual to
// 127.0.0.1 over IPv4 and to [::1] over IPv6, through the real prober.
type dualHost struct {
	p    Prober
	dual string
}

func (d dualHost) Fetch(ctx context.Context, url string, fam probe.Family) probe.Result {
	ip := "127.0.0.1"
	if fam == probe.IPv6 {
		ip = "[::1]"
	}
	return d.p.Fetch(ctx, strings.Replace(url, "//"+d.dual+":", "//"+ip+":", 1), fam)
}

// startRsyncd runs a real rsync daemon on 127.0.0.1 serving dir as the
// module "mod" and returns its address.
func startRsyncd(t *testing.T, bin, dir string) string {
	t.Helper()
	conf := t.TempDir()
	addr := closedAddr(t, "127.0.0.1")
	_, port, _ := net.SplitHostPort(addr)
	var b strings.Builder
	fmt.Fprintf(&b, "use chroot = no\nport = %s\npid file = %s/rsyncd.pid\nlog file = %s/rsyncd.log\n", port, conf, conf)
	if os.Geteuid() == 0 { // else the daemon drops to nobody, who cannot read the temp dir
		fmt.Fprintf(&b, "uid = %d\ngid = %d\n", os.Getuid(), os.Getgid())
	}
	fmt.Fprintf(&b, "[mod]\npath = %s\nread only = yes\n", dir)
	path := filepath.Join(conf, "rsyncd.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--daemon", "--no-detach", "--config="+path, "--address=127.0.0.1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rsync daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsync daemon did not listen on %s", addr)
		}
	}
}

// loopMirror is one mirror of the loopback test and what it must be.
type loopMirror struct {
	name, proto, url string
	families         string // a TOML array or ""
	want             State
	lag              time.Duration
	err              error // the probe reason its Err must quote
}

func TestClassifyRealMirrors(t *testing.T) {
	rsyncBin := testtool.Path(t, "rsync")
	sig := time.Now().Unix() - 60
	stampBody := fmt.Sprintf("%d\n", sig)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TIME"), []byte(stampBody), 0o644); err != nil {
		t.Fatal(err)
	}
	loop := http.NewServeMux()
	loop.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again"+r.URL.Path, http.StatusFound)
	})
	good := httptest.NewTLSServer(body(stampBody)) // 127.0.0.1, in its certificate
	t.Cleanup(good.Close)
	bad := httptest.NewUnstartedServer(body(stampBody))
	badL, err := net.Listen("tcp", "127.0.0.9:0")
	if err != nil {
		t.Skipf("cannot bind 127.0.0.9: %v", err)
	}
	bad.Listener.Close()
	bad.Listener = badL
	bad.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is the point
	bad.StartTLS()                                   // the same certificate, which does not name 127.0.0.9
	t.Cleanup(bad.Close)
	pool := x509.NewCertPool()
	pool.AddCert(good.Certificate())

	ms := []loopMirror{
		{name: "fresh", proto: "http", url: serveOn(t, "127.0.0.2:0", body(stampBody)), want: Fresh},
		{name: "behind", proto: "http", url: serveOn(t, "127.0.0.3:0", body(fmt.Sprintf("%d\n", sig-3600))), want: Behind, lag: time.Hour},
		{name: "closed", proto: "http", url: "http://" + closedAddr(t, "127.0.0.4") + "/", want: Unreachable, err: probe.ErrUnreachable},
		{name: "garbage", proto: "http", url: serveOn(t, "127.0.0.5:0", body("<html>not a time</html>")), want: Error, err: probe.ErrBadTime},
		{name: "huge", proto: "http", url: serveOn(t, "127.0.0.6:0", body(strings.Repeat("1", 1<<20))), want: Error, err: probe.ErrTooBig},
		{name: "slow", proto: "http", url: serveOn(t, "127.0.0.7:0", http.HandlerFunc(trickle)), want: Error, err: probe.ErrTimeout},
		{name: "loop", proto: "http", url: serveOn(t, "127.0.0.8:0", loop), want: Error, err: probe.ErrRedirects},
		{name: "badtls", proto: "https", url: bad.URL + "/", want: Error, err: probe.ErrTLS},
		{name: "missing", proto: "http", url: serveOn(t, "127.0.0.10:0", http.NotFoundHandler()), want: Error, err: probe.ErrHTTPStatus},
		{name: "tls", proto: "https", url: good.URL + "/", want: Fresh},
		{name: "rsync", proto: "rsync", url: "rsync://" + startRsyncd(t, rsyncBin, dir) + "/mod/", want: Fresh},
	}
	v6 := loopMirror{name: "v6only", proto: "http", families: `["ipv4", "ipv6"]`, want: Fresh}
	if port, ok := ipv6Only(t, body(stampBody)); ok {
		v6.url = fmt.Sprintf("http://dual.example.net:%d/", port)
		ms = append(ms, v6)
	}

	var toml strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&toml, "[[mirror]]\nname = %q\ncountry = \"DE\"\n", m.name+".example.net")
		if m.families != "" {
			fmt.Fprintf(&toml, "families = %s\n", m.families)
		}
		fmt.Fprintf(&toml, "[mirror.trees.content]\n%s = %q\n", m.proto, m.url)
	}
	f := fleet(t, toml.String())
	pr, err := probe.New(probe.Config{Timeout: probeTimeout, RootCAs: pool, Rsync: rsyncBin})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Fleet: func() *mirrors.Fleet { return f }, Prober: dualHost{pr, "dual.example.net"}, Interval: time.Hour,
		Concurrency: 4, PerHost: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	c.SignalChanged(record(sig))
	begin := time.Now()
	for _, m := range ms {
		c.Recheck(m.name + ".example.net")
	}
	v := waitClassified(t, c, len(ms), begin.Add(3*probeTimeout))

	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			mv, _ := v.Mirror(m.name + ".example.net")
			tv, _ := mv.Tree("content")
			if tv.State != m.want || tv.Lag != m.lag {
				t.Errorf("state %s lag %v (err %q), want %s lag %v", tv.State, tv.Lag, tv.Err, m.want, m.lag)
			}
			if m.err != nil && !strings.Contains(tv.Err, m.err.Error()) {
				t.Errorf("err %q, want %q", tv.Err, m.err)
			}
			if m.name != "slow" && tv.At.Sub(begin) > probeTimeout {
				t.Errorf("classified %v after the start: held up by the slow mirror", tv.At.Sub(begin))
			}
		})
	}
	if len(ms) > 0 && ms[len(ms)-1].name == "v6only" {
		mv, _ := v.Mirror("v6only.example.net")
		tv, _ := mv.Tree("content")
		if tv.Family != mirrors.IPv6 || len(tv.Probes) != 2 {
			t.Errorf("v6only: best over %q, %d probes", tv.Family, len(tv.Probes))
		}
		for _, r := range tv.Probes {
			if r.Family == mirrors.IPv4 && r.State != Unreachable {
				t.Errorf("v6only over IPv4: %s %q", r.State, r.Err)
			}
		}
	}
}

// waitClassified polls the view until n mirrors have a state, or until
// deadline.
func waitClassified(t *testing.T, c *Checker, n int, deadline time.Time) *View {
	t.Helper()
	for {
		v := c.View()
		known := 0
		for _, m := range v.Mirrors {
			if len(m.Trees) > 0 && m.Trees[0].State != Unknown {
				known++
			}
		}
		if known == n {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mirrors classified by the deadline", known, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
