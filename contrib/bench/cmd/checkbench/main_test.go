package main

import (
	"bytes"
	"context"
	"testing"
)

// Bad flags are usage errors (exit 2), before anything starts.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"-nope"}},
		{"argument", []string{"extra"}},
		{"bad size", []string{"-sizes", "200,x"}},
		{"zero rounds", []string{"-mirmon", "", "-rounds", "0"}},
		{"short timeout", []string{"-mirmon", "", "-timeout", "10ms"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != exitUsage {
				t.Fatalf("exit %d (%v), want %d", code, err, exitUsage)
			}
		})
	}
}
