package push_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/push"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial/sshdtest"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// forcedCommand writes a script standing in for mirror-agent and returns
// the authorized_keys command that runs it with the agent's arguments.
// The script appends to record what it was run as and with, then runs body.
func forcedCommand(t *testing.T, body string) (command, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	script := filepath.Join(dir, "mirror-agent")
	src := fmt.Sprintf(`#!/bin/sh
{
  echo "user=$USER"
  echo "original=$SSH_ORIGINAL_COMMAND"
  echo "argv=$*"
} >>%q
%s
`, record, body)
	if err := os.WriteFile(script, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	return script + " trigger -config /etc/mirror-agent/agent.toml", record
}

func newPusher(t *testing.T) (*push.Pusher, *prometheus.Registry, *testtool.Buffer) {
	t.Helper()
	reg := prometheus.NewRegistry()
	var logs testtool.Buffer
	p, err := push.NewPusher(reg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return p, reg, &logs
}

func counts(t *testing.T, reg *prometheus.Registry) (attempts, failures float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		v := mf.GetMetric()[0].GetCounter().GetValue()
		switch mf.GetName() {
		case "mirrorsignal_push_attempts_total":
			attempts = v
		case "mirrorsignal_push_failures_total":
			failures = v
		}
	}
	return attempts, failures
}

func TestTriggerReachesForcedCommand(t *testing.T) {
	command, record := forcedCommand(t, `printf 'synced \033[31mcontent\033[0m\n'`)
	srv := sshdtest.Start(t, sshdtest.Options{ForcedCommand: command})
	p, reg, logs := newPusher(t)
	res := p.Run(t.Context(), []push.Target{{Name: "m1", SSH: srv.Config()}}, 2)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("results %+v", res)
	}
	if res[0].Name != "m1" || res[0].Duration <= 0 {
		t.Errorf("result %+v", res[0])
	}
	if want := "synced \uFFFD[31mcontent\uFFFD[0m"; res[0].Output != want {
		t.Errorf("output %q, want %q", res[0].Output, want)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := "user=" + u.Username + "\noriginal=trigger\nargv=trigger -config /etc/mirror-agent/agent.toml\n"
	if string(got) != want {
		t.Errorf("forced command recorded\n%s\nwant\n%s", got, want)
	}
	if a, f := counts(t, reg); a != 1 || f != 0 {
		t.Errorf("attempts %v, failures %v; want 1, 0", a, f)
	}
	if !strings.Contains(logs.String(), "mirror=m1") {
		t.Errorf("log %q does not name the mirror", logs.String())
	}
}

func TestPushFailures(t *testing.T) {
	command, record := forcedCommand(t, `echo "no signal" >&2; exit 3`)
	srv := sshdtest.Start(t, sshdtest.Options{ForcedCommand: command})
	other := sshdtest.Start(t, sshdtest.Options{})
	wrongKey := srv.Config()
	wrongKey.KnownHostsFile = srv.WriteKnownHosts(t, "kh_wrong", other.HostKeys...)
	unknown := srv.Config()
	unknown.KnownHostsFile = srv.WriteKnownHosts(t, "kh_empty")
	stall := srv.Config()
	stall.Addr = sshdtest.Stall(t)
	p, reg, _ := newPusher(t)
	start := time.Now()
	res := p.Run(t.Context(), []push.Target{
		{Name: "wrong-key", SSH: wrongKey},
		{Name: "unknown", SSH: unknown},
		{Name: "stalls", SSH: stall, Timeout: 500 * time.Millisecond},
		{Name: "exit3", SSH: srv.Config()},
	}, 4)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v", d)
	}
	wants := []error{sshdial.ErrHostKeyMismatch, sshdial.ErrUnknownHost, context.DeadlineExceeded, nil}
	for i, want := range wants {
		err := res[i].Err
		if err == nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", res[i].Name, err, want)
		}
	}
	if e := res[3].Err; e == nil || !strings.Contains(e.Error(), "exited 3") || res[3].Output != "no signal" {
		t.Errorf("exit3: %v, output %q", e, res[3].Output)
	}
	if got, _ := os.ReadFile(record); strings.Count(string(got), "user=") != 1 {
		t.Errorf("forced command ran %d times, want once (exit3 only)", strings.Count(string(got), "user="))
	}
	if a, f := counts(t, reg); a != 4 || f != 4 {
		t.Errorf("attempts %v, failures %v; want 4, 4", a, f)
	}
}

func TestPushTimeout(t *testing.T) {
	command, _ := forcedCommand(t, `sleep 10`)
	srv := sshdtest.Start(t, sshdtest.Options{ForcedCommand: command})
	p, _, _ := newPusher(t)
	start := time.Now()
	res := p.Run(t.Context(), []push.Target{{Name: "slow", SSH: srv.Config(), Timeout: time.Second}}, 1)
	if !errors.Is(res[0].Err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", res[0].Err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("gave up after %v, timeout 1s", d)
	}
}

// 5 targets, concurrency 2: the forced command never runs more than twice
// at once. It sleeps 1 s: starting a session takes sshd about a second on a
// loaded test machine, and shorter runs would rarely overlap at all.
func TestPushConcurrencyBound(t *testing.T) {
	command, record := forcedCommand(t, `echo "start $(date +%s%N)" >>"$0.times"; sleep 1; echo "end $(date +%s%N)" >>"$0.times"`)
	srv := sshdtest.Start(t, sshdtest.Options{ForcedCommand: command})
	p, _, _ := newPusher(t)
	var targets []push.Target
	for i := range 5 {
		targets = append(targets, push.Target{Name: fmt.Sprintf("m%d", i), SSH: srv.Config()})
	}
	for _, r := range p.Run(t.Context(), targets, 2) {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
	}
	times, err := os.ReadFile(filepath.Join(filepath.Dir(record), "mirror-agent.times"))
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		at    int64
		delta int
	}
	var events []event
	for line := range strings.Lines(string(times)) {
		kind, ns, _ := strings.Cut(strings.TrimSpace(line), " ")
		at, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		events = append(events, event{at, map[string]int{"start": 1, "end": -1}[kind]})
	}
	if len(events) != 10 {
		t.Fatalf("%d events, want 10:\n%s", len(events), times)
	}
	slices.SortFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	running, most := 0, 0
	for _, e := range events {
		running += e.delta
		most = max(most, running)
	}
	if most > 2 {
		t.Fatalf("%d forced commands ran at once, concurrency 2:\n%s", most, times)
	}
	t.Logf("at most %d at once", most)
}
