package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const fresh = 1700000000

// mirror serves the cases an HTTP probe meets.
type mirror struct {
	mu      sync.Mutex
	headers http.Header // of the last /headers request
}

func (m *mirror) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/TIME", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%d\n", fresh)
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "<html>\x00\x1b[2J not a time</html>")
	})
	mux.HandleFunc("/zero", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "0\n") })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(1<<20))
		w.Write(make([]byte, 1<<20))
	})
	mux.HandleFunc("/huge-chunked", func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush() // no Content-Length: only the cap stops it
		for range 16 {
			w.Write([]byte(strings.Repeat("1", 64<<10)))
		}
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		for range 100 { // 20 s at most
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
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	for i := 1; i <= MaxRedirects+1; i++ { // /hopN redirects N times, then /TIME
		mux.HandleFunc(fmt.Sprintf("/hop%d", i), func(w http.ResponseWriter, r *http.Request) {
			next := "/TIME"
			if i > 1 {
				next = fmt.Sprintf("/hop%d", i-1)
			}
			http.Redirect(w, r, next, http.StatusMovedPermanently)
		})
	}
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "tracked", Path: "/"})
		http.Redirect(w, r, "/headers", http.StatusFound)
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.headers = r.Header.Clone()
		m.mu.Unlock()
		fmt.Fprintf(w, "%d\n", fresh)
	})
	mux.HandleFunc("/status-lies", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	return mux
}

func (m *mirror) lastHeaders() http.Header {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.headers
}

// startMirror starts an HTTP server (TLS when tls is set) on listener l, or
// on 127.0.0.1 when l is nil.
func startMirror(t *testing.T, tls bool, l net.Listener) (*httptest.Server, *mirror) {
	t.Helper()
	m := &mirror{}
	ts := httptest.NewUnstartedServer(m.handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	if l != nil {
		ts.Listener.Close()
		ts.Listener = l
	}
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts, m
}

func newProber(t *testing.T, cfg Config) *Prober {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pool(ts *httptest.Server) *x509.CertPool {
	cp := x509.NewCertPool()
	cp.AddCert(ts.Certificate())
	return cp
}

// check asserts a result: want nil means OK with the fresh stamp.
func check(t *testing.T, r Result, want error, class Class) {
	t.Helper()
	if r.Class != class || (want == nil && (r.Err != nil || r.Stamp != fresh)) ||
		(want != nil && (!errors.Is(r.Err, want) || r.Stamp != 0)) {
		t.Fatalf("result = {Stamp %d, Class %v, Err %v}, want Class %v, Err %v", r.Stamp, r.Class, r.Err, class, want)
	}
	if r.Latency <= 0 {
		t.Errorf("latency %v", r.Latency)
	}
}

func TestFetchHTTP(t *testing.T) {
	plain, _ := startMirror(t, false, nil)
	secure, _ := startMirror(t, true, nil)
	p := newProber(t, Config{RootCAs: pool(secure), Version: "1.2.3"})
	tests := []struct {
		name  string
		path  string
		want  error
		class Class
	}{
		{"fresh", "/TIME", nil, OK},
		{"garbage", "/garbage", ErrBadTime, Error},
		{"zero", "/zero", ErrBadTime, Error},
		{"huge", "/huge", ErrTooBig, Error},
		{"huge chunked", "/huge-chunked", ErrTooBig, Error},
		{"404", "/nope", ErrHTTPStatus, Error},
		{"503", "/status-lies", ErrHTTPStatus, Error},
		{"redirect loop", "/loop", ErrRedirects, Error},
		{"three redirects", fmt.Sprintf("/hop%d", MaxRedirects), nil, OK},
		{"four redirects", fmt.Sprintf("/hop%d", MaxRedirects+1), ErrRedirects, Error},
	}
	for _, srv := range []*httptest.Server{plain, secure} {
		for _, tt := range tests {
			t.Run(srv.URL[:strings.Index(srv.URL, ":")]+"/"+tt.name, func(t *testing.T) {
				check(t, p.Fetch(t.Context(), srv.URL+tt.path, Any), tt.want, tt.class)
			})
		}
	}
	t.Run("status code in message", func(t *testing.T) {
		r := p.Fetch(t.Context(), plain.URL+"/nope", Any)
		if !strings.Contains(r.Err.Error(), "404") {
			t.Fatalf("err %q does not say 404", r.Err)
		}
	})
}

func TestFetchHTTPRequest(t *testing.T) {
	ts, m := startMirror(t, false, nil)
	p := newProber(t, Config{Version: "1.2.3"})
	check(t, p.Fetch(t.Context(), ts.URL+"/cookie", Any), nil, OK)
	h := m.lastHeaders()
	want := map[string]string{
		"User-Agent":      "mirrorsignal/1.2.3 (+checker)",
		"Cache-Control":   "no-cache",
		"Pragma":          "no-cache",
		"Cookie":          "",
		"Accept-Encoding": "",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

func TestFetchTLS(t *testing.T) {
	secure, _ := startMirror(t, true, nil)
	plain, _ := startMirror(t, false, nil)
	trusting := newProber(t, Config{RootCAs: pool(secure)})
	port := secure.URL[strings.LastIndex(secure.URL, ":")+1:]
	tests := []struct {
		name string
		p    *Prober
		url  string
		want error
	}{
		{"unknown CA", newProber(t, Config{}), secure.URL + "/TIME", ErrTLS},
		{"other CA", newProber(t, Config{RootCAs: x509.NewCertPool()}), secure.URL + "/TIME", ErrTLS},
		{"wrong name", trusting, "https://localhost:" + port + "/TIME", ErrTLS},
		{"https to plain server", trusting, "https" + strings.TrimPrefix(plain.URL, "http") + "/TIME", ErrProtocol},
		{"http to TLS server", trusting, "http" + strings.TrimPrefix(secure.URL, "https") + "/TIME", ErrHTTPStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.p.Fetch(t.Context(), tt.url, Any), tt.want, Error)
		})
	}
}

func TestFetchTrickleTimesOut(t *testing.T) {
	ts, _ := startMirror(t, false, nil)
	const timeout = time.Second
	p := newProber(t, Config{Timeout: timeout})
	start := time.Now()
	r := p.Fetch(t.Context(), ts.URL+"/trickle", Any)
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("took %v, want at most %v", took, timeout+time.Second)
	}
	check(t, r, ErrTimeout, Error)
}

func TestFetchSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent(t, l)
	const timeout = 500 * time.Millisecond
	p := newProber(t, Config{Timeout: timeout})
	start := time.Now()
	r := p.Fetch(t.Context(), "http://"+l.Addr().String()+"/TIME", Any)
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("took %v, want at most %v", took, timeout+time.Second)
	}
	check(t, r, ErrTimeout, Error)
}

func TestFetchCanceled(t *testing.T) {
	ts, _ := startMirror(t, false, nil)
	p := newProber(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	r := p.Fetch(ctx, ts.URL+"/trickle", Any)
	check(t, r, ErrCanceled, Error)
	if !errors.Is(r.Err, context.Canceled) {
		t.Errorf("err %v does not wrap context.Canceled", r.Err)
	}
}

// silent accepts connections on l and says nothing, until cleanup.
func silent(t *testing.T, l net.Listener) {
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
}

// closedPort returns an address on network where nothing listens.
func closedPort(t *testing.T, network, addr string) string {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func TestFetchRefused(t *testing.T) {
	p := newProber(t, Config{})
	r := p.Fetch(t.Context(), "http://"+closedPort(t, "tcp4", "127.0.0.1:0")+"/TIME", Any)
	check(t, r, ErrUnreachable, Unreachable)
	if !errors.Is(r.Err, syscall.ECONNREFUSED) {
		t.Errorf("err %v does not wrap ECONNREFUSED", r.Err)
	}
}

func TestFetchFamily(t *testing.T) {
	l6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("cannot bind [::1] (no IPv6 loopback here): %v", err)
	}
	v6, _ := startMirror(t, false, l6)
	v4, _ := startMirror(t, false, nil)
	p := newProber(t, Config{})
	tests := []struct {
		name  string
		url   string
		fam   Family
		class Class
	}{
		{"v6 server, IPv6", v6.URL, IPv6, OK},
		{"v6 server, Any", v6.URL, Any, OK},
		{"v6 server, IPv4", v6.URL, IPv4, Unreachable},
		{"v4 server, IPv4", v4.URL, IPv4, OK},
		{"v4 server, IPv6", v4.URL, IPv6, Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want error
			if tt.class != OK {
				want = ErrUnreachable
			}
			check(t, p.Fetch(t.Context(), tt.url+"/TIME", tt.fam), want, tt.class)
		})
	}
}

func TestFetchProxy(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d\n", fresh)
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	target := "http://" + closedPort(t, "tcp4", "127.0.0.1:0") + "/TIME"
	check(t, newProber(t, Config{Proxy: pu}).Fetch(t.Context(), target, Any), nil, OK)
	t.Setenv("HTTP_PROXY", proxy.URL) // never consulted
	check(t, newProber(t, Config{}).Fetch(t.Context(), target, Any), ErrUnreachable, Unreachable)
}

func TestFetchBadURL(t *testing.T) {
	p := newProber(t, Config{})
	for _, u := range []string{
		"ftp://m.example/TIME", "http:///TIME", "m.example/TIME", "%zz", "rsync://m.example/TIME", "rsync://m.example/mod/*",
	} {
		t.Run(u, func(t *testing.T) { check(t, p.Fetch(t.Context(), u, Any), ErrBadURL, Error) })
	}
	t.Run("family", func(t *testing.T) { check(t, p.Fetch(t.Context(), "http://m/TIME", Family(9)), ErrBadURL, Error) })
}

func TestNewRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative timeout":       {Timeout: -1},
		"cap over signal's":      {BodyCap: 4097},
		"negative cap":           {BodyCap: -1},
		"negative rsync timeout": {RsyncIOTimeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}
