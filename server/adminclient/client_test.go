package adminclient

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// fakeAdmin answers publishes like signald's admin handler: it records the
// request and its Authorization header, then answers status and body.
type fakeAdmin struct {
	status int
	body   string
	got    chan seen
}

type seen struct {
	method, path, auth, ctype string
	req                       apiv1.PublishRequest
}

func newFakeAdmin(status int, body string) *fakeAdmin {
	return &fakeAdmin{status: status, body: body, got: make(chan seen, 1)}
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := seen{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), ctype: r.Header.Get("Content-Type")}
	json.NewDecoder(r.Body).Decode(&s.req)
	f.got <- s
	if f.status != http.StatusOK {
		http.Error(w, f.body, f.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(f.body))
}

const okAnswer = `{"tree":"content","stamp":1795440000,"previous":0,"serial":1795448410,"event":1,"record":"1795440000:0:0"}`

var okResponse = apiv1.PublishResponse{Tree: "content", Stamp: 1795440000, Serial: 1795448410, Event: 1, Record: "1795440000:0:0"}

// unixServer serves h on a Unix socket in a short temporary directory
// (socket paths are limited to about 100 bytes) and returns its path.
func unixServer(t *testing.T, h http.Handler) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return path
}

func TestPublishTCPSendsToken(t *testing.T) {
	f := newFakeAdmin(http.StatusOK, okAnswer)
	ts := httptest.NewServer(f)
	defer ts.Close()

	req := apiv1.PublishRequest{Tree: "content", At: 1795440000, Force: true}
	res, err := TCP(ts.URL+"/", "s3cret").Publish(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res != okResponse {
		t.Errorf("response %+v, want %+v", res, okResponse)
	}
	s := <-f.got
	want := seen{method: "POST", path: apiv1.PathPublish, auth: "Bearer s3cret", ctype: "application/json", req: req}
	if s != want {
		t.Errorf("signald saw %+v, want %+v", s, want)
	}
}

func TestPublishUnixSocket(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		wantAuth string
	}{
		{"no token", "", ""},
		{"token given", "tok", "Bearer tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAdmin(http.StatusOK, okAnswer)
			c := Socket(unixServer(t, f))
			if tt.token != "" {
				c = c.WithToken(tt.token)
			}
			res, err := c.Publish(context.Background(), apiv1.PublishRequest{Tree: "content"})
			if err != nil || res != okResponse {
				t.Fatalf("Publish = %+v, %v", res, err)
			}
			if s := <-f.got; s.auth != tt.wantAuth || s.path != apiv1.PathPublish || s.req.Tree != "content" {
				t.Errorf("signald saw %+v, want Authorization %q", s, tt.wantAuth)
			}
		})
	}
}

func TestPublishRefused(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		reason string
		status string
	}{
		{"bad token", http.StatusUnauthorized, "bad admin token", "401 Unauthorized"},
		{"backwards", http.StatusConflict, "timestamp would go backwards: content is at 1795440000, asked for 1700000000 (use --force)", "409 Conflict"},
		{"store full", http.StatusServiceUnavailable, "cannot commit: disk full", "503 Service Unavailable"},
	}
	for _, tt := range tests {
		for _, transport := range []string{"tcp", "unix"} {
			t.Run(tt.name+"/"+transport, func(t *testing.T) {
				f := newFakeAdmin(tt.code, tt.reason)
				var c *Client
				if transport == "tcp" {
					ts := httptest.NewServer(f)
					defer ts.Close()
					c = TCP(ts.URL, "tok")
				} else {
					c = Socket(unixServer(t, f))
				}
				_, err := c.Publish(context.Background(), apiv1.PublishRequest{Tree: "content"})
				var r *Refused
				if !errors.As(err, &r) {
					t.Fatalf("error %v (%T) is not a *Refused", err, err)
				}
				want := Refused{Status: tt.status, Code: tt.code, Reason: tt.reason}
				if *r != want {
					t.Errorf("refused %+v, want %+v", *r, want)
				}
				if msg := "publish refused (" + tt.status + "): " + tt.reason; err.Error() != msg {
					t.Errorf("error reads %q, want %q", err, msg)
				}
			})
		}
	}
}

func TestPublishBadAnswer(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", "<html>proxy error</html>"},
		{"truncated", okAnswer[:20]},
		{"wrong type", `{"tree":"content","stamp":"soon"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(newFakeAdmin(http.StatusOK, tt.body))
			defer ts.Close()
			_, err := TCP(ts.URL, "tok").Publish(context.Background(), apiv1.PublishRequest{Tree: "content"})
			var r *Refused
			if err == nil || errors.As(err, &r) || !strings.Contains(err.Error(), "publish: bad answer from signald") {
				t.Fatalf("error %v; want a bad answer that is not a refusal", err)
			}
		})
	}
}

func TestPublishUnreachable(t *testing.T) {
	c := Socket(filepath.Join(t.TempDir(), "absent.sock"))
	_, err := c.Publish(context.Background(), apiv1.PublishRequest{Tree: "content"})
	var r *Refused
	if err == nil || errors.As(err, &r) || !strings.HasPrefix(err.Error(), "publish: ") {
		t.Fatalf("error %v; want a transport error", err)
	}
}

func TestPublishHonoursContext(t *testing.T) {
	block := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer ts.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TCP(ts.URL, "tok").Publish(ctx, apiv1.PublishRequest{Tree: "content"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
