package advice

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// padded returns signed advice as JSON of exactly n bytes, padded with
// leading whitespace, so that losing its last byte breaks it.
func padded(t *testing.T, n int) []byte {
	_, priv := testKey(t)
	body, err := json.Marshal(Sign(priv, sample()))
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Repeat([]byte(" "), n-len(body)), body...)
}

// TestBodySizeLimit: advice of exactly MaxBodySize bytes is read whole and
// used; one byte more is refused.
func TestBodySizeLimit(t *testing.T) {
	pub, _ := testKey(t)
	for _, tc := range []struct {
		size int
		ok   bool
	}{{MaxBodySize, true}, {MaxBodySize + 1, false}} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			body := padded(t, tc.size)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
			defer srv.Close()
			c := &Client{URL: srv.URL, Mirror: "m1", Key: pub, Allow: []string{"*.example.org", "*.example.net"},
				HTTP: srv.Client(), Now: func() time.Time { return now }}
			_, err := c.Fetch(context.Background(), "content", 1_799_999_000)
			if (err == nil) != tc.ok {
				t.Fatalf("%d bytes: %v, want ok=%v", tc.size, err, tc.ok)
			}
		})
	}
}

// TestSourcesLimit: MaxSources sources are accepted, one more is not.
func TestSourcesLimit(t *testing.T) {
	for _, n := range []int{MaxSources, MaxSources + 1} {
		a := sample()
		a.Sources = nil
		for i := range n {
			a.Sources = append(a.Sources, fmt.Sprintf("rsync://m%d.mirror.example.net/centos/", i))
		}
		body, _ := json.Marshal(a)
		if _, err := Parse(body); (err == nil) != (n <= MaxSources) {
			t.Errorf("%d sources: %v", n, err)
		}
	}
}

// TestSourceBytes: the printable ASCII ends ('!' and '~') are allowed in a
// source; a space, DEL and bytes above are not.
func TestSourceBytes(t *testing.T) {
	tests := []struct {
		src string
		ok  bool
	}{
		{"rsync://a.mirror.example.net/centos/~mirror!/", true},
		{"rsync://a.mirror.example.net/centos/a b/", false},
		{"rsync://a.mirror.example.net/centos/a\x7f/", false},
		{"rsync://a.mirror.example.net/centos/é/", false},
	}
	for _, tc := range tests {
		if err := checkSource(tc.src); (err == nil) != tc.ok {
			t.Errorf("checkSource(%q) = %v, want ok=%v", tc.src, err, tc.ok)
		}
	}
}
