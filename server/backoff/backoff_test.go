package backoff

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// sequence returns the first n waits of p.
func sequence(p Policy, n int) []time.Duration {
	var out []time.Duration
	var d time.Duration
	for range n {
		d = p.Next(d)
		out = append(out, d)
	}
	return out
}

func TestNext(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	tests := []struct {
		name string
		p    Policy
		want []time.Duration
	}{
		{"doubling to a minute", Policy{Initial: s, Max: time.Minute},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute}},
		{"factor 3", Policy{Initial: 10 * ms, Max: s, Factor: 3},
			[]time.Duration{10 * ms, 30 * ms, 90 * ms, 270 * ms, 810 * ms, s}},
		{"factor 1.5", Policy{Initial: 100 * ms, Max: s, Factor: 1.5},
			[]time.Duration{100 * ms, 150 * ms, 225 * ms, 337500 * time.Microsecond}},
		{"factor not above 1 doubles", Policy{Initial: s, Max: 10 * s, Factor: 1},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s}},
		{"max below initial", Policy{Initial: 5 * s, Max: 2 * s},
			[]time.Duration{2 * s, 2 * s}},
		{"max equal initial", Policy{Initial: s, Max: s},
			[]time.Duration{s, s, s}},
		{"no cap", Policy{Initial: time.Hour},
			[]time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sequence(tt.p, len(tt.want)); !slices.Equal(got, tt.want) {
				t.Errorf("waits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextEdges(t *testing.T) {
	p := Policy{Initial: time.Second}
	if got := p.Next(math.MaxInt64 / 2); got != math.MaxInt64 {
		t.Errorf("Next near overflow = %v, want the largest duration", got)
	}
	if got := p.Next(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("Next(max) = %v, want max", got)
	}
	if got := p.Next(-time.Second); got != time.Second {
		t.Errorf("Next(negative) = %v, want Initial", got)
	}
	if got := p.Next(time.Millisecond); got != time.Second {
		t.Errorf("Next below Initial = %v, want Initial", got)
	}
}

func TestJittered(t *testing.T) {
	const d = 10 * time.Second
	tests := []struct {
		name   string
		jitter float64
		rand   func() float64
		want   time.Duration
	}{
		{"no rand", 0.5, nil, d},
		{"no jitter", 0, func() float64 { return 0.9 }, d},
		{"rand 0", 0.5, func() float64 { return 0 }, d},
		{"half of half", 0.5, func() float64 { return 0.5 }, 7500 * time.Millisecond},
		{"full jitter", 1, func() float64 { return 0.25 }, 7500 * time.Millisecond},
		{"jitter above 1 is 1", 3, func() float64 { return 0.5 }, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Initial: time.Second, Jitter: tt.jitter, Rand: tt.rand}
			if got := p.Jittered(d); got != tt.want {
				t.Errorf("Jittered(%v) = %v, want %v", d, got, tt.want)
			}
		})
	}
}

// recorder is a SleepFunc that records the waits and returns errs in turn.
type recorder struct {
	waits []time.Duration
	errs  []error
}

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	if len(r.errs) == 0 {
		return nil
	}
	err := r.errs[0]
	r.errs = r.errs[1:]
	return err
}

func TestRetry(t *testing.T) {
	s := time.Second
	fail := errors.New("fail")
	stop := errors.New("superseded")
	policy := Policy{Initial: s, Max: 4 * s}
	tests := []struct {
		name      string
		tries     int
		okAt      int     // the try that succeeds; 0: none
		sleepErrs []error // what the sleeps return in turn
		want      error
		calls     int
		waits     []time.Duration
	}{
		{"first try", 3, 1, nil, nil, 1, nil},
		{"third try", 5, 3, nil, nil, 3, []time.Duration{s, 2 * s}},
		{"gives up", 4, 0, nil, fail, 4, []time.Duration{s, 2 * s, 4 * s}},
		{"one try", 1, 0, nil, fail, 1, nil},
		{"unbounded", 0, 7, nil, nil, 7, []time.Duration{s, 2 * s, 4 * s, 4 * s, 4 * s, 4 * s}},
		{"sleep stops it", 5, 0, []error{nil, stop}, stop, 2, []time.Duration{s, 2 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{errs: tt.sleepErrs}
			calls := 0
			err := Retry(context.Background(), policy, tt.tries, rec.sleep, func(try int) error {
				calls++
				if try != calls {
					t.Errorf("try %d on call %d", try, calls)
				}
				if try == tt.okAt {
					return nil
				}
				return fail
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if calls != tt.calls || !slices.Equal(rec.waits, tt.waits) {
				t.Errorf("%d calls with waits %v, want %d with %v", calls, rec.waits, tt.calls, tt.waits)
			}
		})
	}
}

func TestRetryJitters(t *testing.T) {
	p := Policy{Initial: time.Second, Max: time.Minute, Jitter: 0.5, Rand: func() float64 { return 0.5 }}
	rec := &recorder{}
	Retry(context.Background(), p, 3, rec.sleep, func(int) error { return errors.New("fail") })
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}
	if !slices.Equal(rec.waits, want) {
		t.Errorf("waits %v, want %v (the sequence itself unjittered)", rec.waits, want)
	}
}

func TestRetryContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Retry(ctx, Policy{Initial: time.Hour}, 0, nil, func(int) error {
		calls++
		cancel()
		return errors.New("fail")
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("err = %v after %d calls, want context.Canceled after 1", err, calls)
	}
	cancel()
	if err := Retry(ctx, Policy{Initial: time.Hour}, 0, nil, func(int) error { t.Error("called after cancel"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("Sleep on a cancelled context = %v after %v", err, time.Since(start))
	}
}
