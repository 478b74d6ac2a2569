package repomd

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

func TestFetch(t *testing.T) {
	v1 := fixture(t, "repomd-v1.xml")
	mux := http.NewServeMux()
	mux.HandleFunc("/ok/repodata/repomd.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cache-Control") != "no-cache" {
			http.Error(w, "cached", http.StatusBadRequest)
			return
		}
		w.Write(v1)
	})
	mux.HandleFunc("/garbage/repodata/repomd.xml", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html>mirror maintenance</html>"))
	})
	mux.HandleFunc("/huge/repodata/repomd.xml", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(strings.Repeat(" ", MaxSize+1)))
	})
	mux.HandleFunc("/broken/repodata/repomd.xml", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tls := httptest.NewTLSServer(mux) // not trusted: no RootCAs given
	t.Cleanup(tls.Close)
	f, err := NewFetcher(Config{Version: "test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse(v1)
	for _, tc := range []struct {
		name, url string
		want      error
	}{
		{"ok", srv.URL + "/ok/repodata/repomd.xml", nil},
		{"missing", srv.URL + "/none/repodata/repomd.xml", ErrMissing},
		{"garbage", srv.URL + "/garbage/repodata/repomd.xml", ErrBad},
		{"huge", srv.URL + "/huge/repodata/repomd.xml", ErrBad},
		{"status", srv.URL + "/broken/repodata/repomd.xml", ErrFetch},
		{"redirect loop", srv.URL + "/loop/", ErrFetch},
		{"untrusted TLS", tls.URL + "/ok/repodata/repomd.xml", ErrFetch},
		{"rsync", "rsync://127.0.0.1/mod/repodata/repomd.xml", ErrFetch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := f.Fetch(t.Context(), tc.url, probe.Any)
			if tc.want == nil {
				if err != nil || r.Fingerprint() != want.Fingerprint() {
					t.Fatalf("got %+v, %v", r, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
