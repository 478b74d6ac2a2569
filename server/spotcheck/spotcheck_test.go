package spotcheck

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

func TestClassify(t *testing.T) {
	tg := Target{Tree: "content"}
	for _, tt := range []struct {
		name   string
		res    probe.Result
		signal int64
		state  string
		lag    time.Duration
	}{
		{"fresh", probe.Result{Stamp: 100, Class: probe.OK}, 100, Fresh, 0},
		{"ahead", probe.Result{Stamp: 101, Class: probe.OK}, 100, Fresh, 0},
		{"never published", probe.Result{Stamp: 1, Class: probe.OK}, 0, Fresh, 0},
		{"behind", probe.Result{Stamp: 40, Class: probe.OK}, 100, Behind, 60 * time.Second},
		{"unreachable", probe.Result{Class: probe.Unreachable, Err: errors.New("refused")}, 100, Unreachable, 0},
		{"error", probe.Result{Class: probe.Error, Err: errors.New("garbage")}, 100, Error, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := Classify(tg, tt.res, tt.signal)
			if l.State != tt.state || l.Lag != tt.lag {
				t.Fatalf("got %s lag %s, want %s lag %s", l.State, l.Lag, tt.state, tt.lag)
			}
		})
	}
}

// TestExit: per tree the best line counts; the worst tree decides.
func TestExit(t *testing.T) {
	line := func(tree, state string) Line { return Line{Target: Target{Tree: tree}, State: state} }
	for _, tt := range []struct {
		name  string
		lines []Line
		want  int
	}{
		{"nothing", nil, NagiosUnknown},
		{"all fresh", []Line{line("a", Fresh), line("b", Fresh)}, NagiosOK},
		{"ipv6 down, ipv4 fresh", []Line{line("a", Unreachable), line("a", Fresh)}, NagiosOK},
		{"one tree behind", []Line{line("a", Fresh), line("b", Behind)}, NagiosWarning},
		{"behind beats error in a tree", []Line{line("a", Error), line("a", Behind)}, NagiosWarning},
		{"a tree unreachable", []Line{line("a", Behind), line("b", Unreachable)}, NagiosCritical},
		{"a tree in error", []Line{line("a", Fresh), line("b", Error)}, NagiosCritical},
	} {
		if got := (Report{Lines: tt.lines}).Exit(); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestURLTarget(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://m.example.net/centos/", "https://m.example.net/centos/TIME"},
		{"http://m.example.net/centos", "http://m.example.net/centos/TIME"},
		{"rsync://m.example.net/centos/", "rsync://m.example.net/centos/TIME"},
	} {
		got, err := URLTarget(tt.base, "content", "TIME")
		if err != nil || got.URL != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.base, got.URL, err, tt.want)
		}
	}
	for _, bad := range []string{"ftp://m/x", "m.example.net/x", "https:///x", "::"} {
		if _, err := URLTarget(bad, "content", "TIME"); err == nil || !strings.Contains(err.Error(), "not an") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
