package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeAndWorst(t *testing.T) {
	if Code(nil) != OK || Code(errors.New("x")) != Failure {
		t.Fatal("nil or plain error")
	}
	err := fmt.Errorf("wrapped: %w", New(Rsync, errors.New("x")))
	if Code(err) != Rsync || IsReported(err) || !IsReported(Reported(err)) || Code(Reported(err)) != Rsync {
		t.Fatal("wrapping loses the code")
	}
	for _, tc := range []struct {
		in   []int
		want int
	}{
		{nil, OK}, {[]int{Behind, Rsync}, Rsync}, {[]int{Rsync, Failure}, Failure}, {[]int{Config, Failure, Behind}, Config},
	} {
		if got := Worst(tc.in...); got != tc.want {
			t.Errorf("Worst(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
