package httpserve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs h with l on a loopback port until the test ends.
func serve(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeLimited(ctx, ln, h, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

// TestSlowClientCutOff: a client that trickles its request header is cut
// off after the header timeout, and one that never reads a large answer
// after the write timeout, while others are served.
func TestSlowClientCutOff(t *testing.T) {
	l := DefaultLimits
	l.ReadHeader, l.Read, l.Write = 300*time.Millisecond, time.Second, 500*time.Millisecond
	big := bytes.Repeat([]byte("x"), 64<<20)
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		io.WriteString(w, "ok")
	}), l)

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	closed := false
	for i := 0; i < 40 && !closed; i++ { // one header byte every 100 ms, 4 s at most
		if _, err := slow.Write([]byte("G")); err != nil {
			closed = true
			break
		}
		slow.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		var ne net.Error
		if _, err := slow.Read(make([]byte, 1)); err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			closed = true // EOF or reset: the server hung up, not our deadline
		}
	}
	if !closed {
		t.Fatal("a client trickling its header for 4 s was not cut off")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cut off after %s, with a header timeout of %s", took, l.ReadHeader)
	}

	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	io.WriteString(stalled, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(2 * l.Write) // never reading: the server gives up writing
	stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.Copy(io.Discard, stalled)
	if n >= int64(len(big)) {
		t.Errorf("a client that stalled got the whole %d bytes", n)
	}

	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("another client: %q", body)
	}
}

// TestBodyCapped: no route reads a body beyond MaxBody.
func TestBodyCapped(t *testing.T) {
	l := DefaultLimits
	l.MaxBody = 1 << 10
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		io.WriteString(w, strings.Repeat("r", int(n)%2))
	}), l)
	for size, want := range map[int]int{1 << 10: http.StatusOK, 1<<10 + 1: http.StatusRequestEntityTooLarge, 1 << 20: http.StatusRequestEntityTooLarge} {
		resp, err := http.Post("http://"+addr+"/", "application/octet-stream", bytes.NewReader(make([]byte, size)))
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("a body of %d bytes: %d, want %d", size, resp.StatusCode, want)
		}
	}
}
