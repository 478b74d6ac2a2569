package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/api"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// The plugin guidelines' output: one status line, then after "|" the
// perfdata, 'label'=value[UOM];[warn];[crit];[min];[max] separated by
// spaces.
var (
	statusLine = regexp.MustCompile(`^MIRRORSIGNAL (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)(?: \| (.+))?\n$`)
	perfItem   = regexp.MustCompile(`^'(?:[^'=]|'')+'=-?[0-9]+(?:\.[0-9]+)?(?:s|%)?;[0-9.:~@]*;[0-9.:~@]*;[0-9.]*;[0-9.]*$`)
)

// signaldAPI serves the real status API over a fixture fleet.
func signaldAPI(t *testing.T, o statustest.Options) (*httptest.Server, *status.Snapshot) {
	t.Helper()
	hub := status.NewHub()
	snap := statustest.Fleet(o)
	hub.Set(snap)
	srv := httptest.NewServer(httpserve.Mux(api.NewStatus(hub)))
	t.Cleanup(srv.Close)
	return srv, snap
}

// checkPluginOutput asserts the guideline format and returns the state
// word, the text and the perfdata items.
func checkPluginOutput(t *testing.T, out string) (state, text string, perf []string) {
	t.Helper()
	m := statusLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output %q is not one guideline status line", out)
	}
	if m[3] != "" {
		perf = strings.Split(m[3], " ")
		for _, p := range perf {
			if !perfItem.MatchString(p) {
				t.Errorf("perfdata item %q does not follow 'label'=value[UOM];warn;crit;min;max", p)
			}
		}
	}
	return m[1], m[2], perf
}

func TestNagiosMirror(t *testing.T) {
	srv, _ := signaldAPI(t, statustest.Options{Mirrors: 14})
	for _, tt := range []struct {
		name  string
		args  []string
		code  int
		state string
		text  []string
		perf  []string
	}{
		{"fresh", []string{"--mirror", "mirror00.de.example.net"}, 0, "OK",
			[]string{"mirror00.de.example.net", "content fresh", "altarch fresh", "vault fresh"},
			[]string{"'content_lag'=0s;10800;43200;0;", "'altarch_lag'=0s;10800;43200;0;", "'vault_lag'=0s;10800;43200;0;"}},
		{"behind 5h, warn 3h", []string{"--mirror", "mirror04.ca.example.net", "-w", "3h", "-c", "12h"}, 1, "WARNING",
			[]string{"content behind 5h0m0s"}, []string{"'content_lag'=18000s;10800;43200;0;"}},
		{"behind 5h, crit 4h", []string{"--mirror", "mirror04.ca.example.net", "-w", "1h", "-c", "14400"}, 2, "CRITICAL",
			[]string{"content behind 5h0m0s"}, []string{"'content_lag'=18000s;3600;14400;0;"}},
		{"behind 5h, warn 6h", []string{"--mirror", "mirror04.ca.example.net", "-w", "6h", "-c", "12h", "--tree", "vault"}, 0, "OK",
			[]string{"vault behind 5h0m0s"}, []string{"'vault_lag'=18000s;21600;43200;0;"}},
		{"unreachable", []string{"--mirror", "mirror10.de.example.net"}, 2, "CRITICAL",
			[]string{"content unreachable (dial tcp: connection refused)"}, nil},
		{"unknown mirror", []string{"--mirror", "nope.example.net"}, 3, "UNKNOWN",
			[]string{`404 Not Found: no mirror "nope.example.net"`}, nil},
		{"tree not carried", []string{"--mirror", "mirror02.nl.example.net", "--tree", "vault"}, 3, "UNKNOWN",
			[]string{`carries no tree "vault"`}, nil},
		{"bad threshold", []string{"--mirror", "mirror00.de.example.net", "-w", "soon"}, 3, "UNKNOWN", []string{`-w "soon" is not a lag`}, nil},
		{"w above c", []string{"--mirror", "mirror00.de.example.net", "-w", "12h", "-c", "3h"}, 3, "UNKNOWN", []string{"above -c"}, nil},
		{"no mode", nil, 3, "UNKNOWN", []string{"either --mirror NAME or --network"}, nil},
		{"both modes", []string{"--mirror", "x", "--network"}, 3, "UNKNOWN", []string{"either --mirror NAME or --network"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := signalctl(append([]string{"nagios", "--url", srv.URL}, tt.args...)...)
			state, text, perf := checkPluginOutput(t, out)
			if code != tt.code || state != tt.state {
				t.Fatalf("exit %d %s, want %d %s: %q", code, state, tt.code, tt.state, out)
			}
			for _, s := range tt.text {
				if !strings.Contains(text, s) {
					t.Errorf("status text %q lacks %q", text, s)
				}
			}
			for _, p := range tt.perf {
				if !strings.Contains(" "+strings.Join(perf, " ")+" ", " "+p+" ") {
					t.Errorf("perfdata %q lacks %q", perf, p)
				}
			}
		})
	}
}

func TestNagiosNetwork(t *testing.T) {
	srv, snap := signaldAPI(t, statustest.Options{Mirrors: 50})
	content, _ := snap.Tree("content")
	carrying := 0
	for _, n := range content.Counts {
		carrying += n
	}
	pct := 100 * float64(content.Counts[status.Fresh]) / float64(carrying)
	if pct < 30 || pct > 95 {
		t.Fatalf("fixture content fresh %.1f%%: the thresholds below assume some but not all fresh", pct)
	}
	for _, tt := range []struct {
		name  string
		w, c  string
		code  int
		state string
	}{
		{"above both", "30", "20", 0, "OK"},
		{"below warn", "99", "20", 1, "WARNING"},
		{"below crit", "100", "99", 2, "CRITICAL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := signalctl("nagios", "--url", srv.URL, "--network", "--tree", "content", "-w", tt.w, "-c", tt.c)
			state, text, perf := checkPluginOutput(t, out)
			if code != tt.code || state != tt.state {
				t.Fatalf("exit %d %s, want %d %s: %q", code, state, tt.code, tt.state, out)
			}
			if !strings.HasPrefix(text, "content ") || strings.Contains(text, "altarch") || len(perf) != 1 ||
				!strings.HasPrefix(perf[0], "'content_fresh'=") || !strings.HasSuffix(perf[0], "%;"+tt.w+":;"+tt.c+":;0;100") {
				t.Fatalf("text %q perf %q", text, perf)
			}
		})
	}
	code, out, _ := signalctl("nagios", "--url", srv.URL, "--network", "-w", "0", "-c", "0")
	if _, _, perf := checkPluginOutput(t, out); code != 0 || len(perf) != 3 {
		t.Fatalf("all trees: exit %d, %q", code, out)
	}
	code, out, _ = signalctl("nagios", "--url", srv.URL, "--network", "--tree", "isos")
	if state, text, _ := checkPluginOutput(t, out); code != 3 || state != "UNKNOWN" || !strings.Contains(text, "unknown tree") {
		t.Fatalf("unknown tree: exit %d, %q", code, out)
	}
}

// TestNagiosUnreachable: signald down, slow or broken is UNKNOWN.
func TestNagiosUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }))
	t.Cleanup(garbage.Close)
	for _, tt := range []struct {
		name, url, text string
		extra           []string
	}{
		{"refused", closed, "cannot ask", nil},
		{"timeout", slow.URL, "timeout after 1s", []string{"-t", "1"}},
		{"not JSON", garbage.URL, "bad JSON", nil},
		{"bad url", "http://[::1", "bad --url", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := signalctl(append([]string{"nagios", "--url", tt.url, "--network"}, tt.extra...)...)
			state, text, _ := checkPluginOutput(t, out)
			if code != 3 || state != "UNKNOWN" || !strings.Contains(text, tt.text) {
				t.Fatalf("exit %d %q, want 3 UNKNOWN with %q", code, out, tt.text)
			}
		})
	}
}

// TestNagiosHostileName: markup, quotes and "|" in a mirror's name or
// error cannot break the status line or the perfdata.
func TestNagiosHostileName(t *testing.T) {
	srv, snap := signaldAPI(t, statustest.Options{Mirrors: 14, Hostile: true})
	for _, m := range snap.Mirrors[:3] {
		code, out, _ := signalctl("nagios", "--url", srv.URL, "--mirror", m.Name)
		checkPluginOutput(t, out)
		if code != 2 {
			t.Errorf("hostile mirror %q: exit %d %q, want CRITICAL (its TIME is bad)", m.Name, code, out)
		}
	}
}

func TestNagiosClean(t *testing.T) {
	if got := clean("a|b\nc\x7f"); got != "a b c " {
		t.Errorf("clean = %q", got)
	}
	if got := perfLabel("it's=x"); got != "'it''s_x'" {
		t.Errorf("perfLabel = %q", got)
	}
	if !perfItem.MatchString(perfLabel("o'k") + "=1s;2;3;0;") {
		t.Error("a quoted label does not match the guideline format")
	}
}
