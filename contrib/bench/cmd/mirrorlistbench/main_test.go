package main

import (
	"bytes"
	"errors"
	"testing"
)

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-rounds", "0"}, {"-duration", "10ms"}, {"-mirrors", "0"}, {"extra"}, {"-nope"}} {
		var out, errb bytes.Buffer
		err := run(t.Context(), args, &out, &errb)
		if !errors.As(err, new(usageError)) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
