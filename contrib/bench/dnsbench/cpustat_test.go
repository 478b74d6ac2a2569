package dnsbench

import (
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "0", want: []int{0}},
		{in: "1,3", want: []int{1, 3}},
		{in: "0-2,5", want: []int{0, 1, 2, 5}},
		{in: "", bad: true},
		{in: "a", bad: true},
		{in: "3-1", bad: true},
		{in: "-1", bad: true},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseCPUList(c.in)
			if (err != nil) != c.bad || !slices.Equal(got, c.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, c.want, c.bad)
			}
		})
	}
}

const procStat = `cpu  210071 0 56244 268579 1039 0 8198 82 0 0
cpu0 98832 0 26206 141842 295 0 4418 38 0 0
cpu1 111239 1 30037 126736 744 2 3779 43 7 0
intr 1 2 3
`

func TestBusyTicks(t *testing.T) {
	got, err := busyTicks(procStat, []int{0})
	if want := int64(98832 + 26206 + 4418 + 38); err != nil || got != want {
		t.Errorf("cpu0: got %d, %v; want %d", got, err, want)
	}
	got, err = busyTicks(procStat, []int{0, 1})
	if want := int64(98832+26206+4418+38) + 111239 + 1 + 30037 + 2 + 3779 + 43; err != nil || got != want {
		t.Errorf("cpu0,1: got %d, %v; want %d", got, err, want)
	}
	if _, err := busyTicks(procStat, []int{2}); err == nil {
		t.Error("cpu2: no error for a missing CPU")
	}
}

func TestParseProcStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	s := "4242 (nsd: server 1) S 4240 4239 4239 0 -1 4194368 700 0 0 0 1234 567 0 0 20 0 1 0 100 0 0"
	pg, ticks, ok := parseProcStat(s)
	if !ok || pg != 4239 || ticks != 1234+567 {
		t.Errorf("got pgrp %d ticks %d ok %v; want 4239, 1801, true", pg, ticks, ok)
	}
	if _, _, ok := parseProcStat("4242 (x) S 1"); ok {
		t.Error("short line parsed")
	}
}

func TestStatTicksSteal(t *testing.T) {
	cols, err := statTicks(procStat, []int{0, 1})
	if err != nil || cols[colSteal] != 38+43 || cols[colIdle] != 141842+126736 {
		t.Errorf("got %v, %v; want steal 81, idle 268578", cols, err)
	}
}
