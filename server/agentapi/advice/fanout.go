package advice

import (
	"sync"
	"time"
)

// fanOut caps how many distinct mirrors each source is handed to in a
// sliding window. It is safe for concurrent use: one mutex covers a whole
// pick, so concurrent requests can never hand a source out past its cap.
type fanOut struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	given map[string]map[string]time.Time // source → mirror → last hand-out
	swept time.Time
}

func newFanOut(limit int, window time.Duration) *fanOut {
	return &fanOut{limit: limit, window: window, given: map[string]map[string]time.Time{}}
}

// pick takes, in order, up to n of cands that are under their cap for
// mirror (or were already handed to it within the window), and records the
// hand-outs at now. capped counts the candidates skipped at their cap.
func (f *fanOut) pick(mirror string, cands []candidate, n int, now time.Time) (picked []candidate, capped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sweep(now)
	for _, c := range cands {
		if len(picked) == n {
			break
		}
		if f.take(c.name, mirror, now) {
			picked = append(picked, c)
		} else {
			capped++
		}
	}
	return picked, capped
}

// take records source handed to mirror at now, unless that would exceed
// the cap.
func (f *fanOut) take(source, mirror string, now time.Time) bool {
	mirrors := f.given[source]
	if mirrors == nil {
		mirrors = map[string]time.Time{}
		f.given[source] = mirrors
	}
	f.expire(mirrors, now)
	if _, again := mirrors[mirror]; !again && len(mirrors) >= f.limit {
		return false
	}
	mirrors[mirror] = now
	return true
}

// expire forgets the hand-outs of one source that left the window.
func (f *fanOut) expire(mirrors map[string]time.Time, now time.Time) {
	for m, at := range mirrors {
		if now.Sub(at) >= f.window {
			delete(mirrors, m)
		}
	}
}

// sweep forgets, once per window, every source with no hand-out left in
// it, so sources dropped from the fleet do not stay in memory.
func (f *fanOut) sweep(now time.Time) {
	if now.Sub(f.swept) < f.window {
		return
	}
	f.swept = now
	for s, mirrors := range f.given {
		f.expire(mirrors, now)
		if len(mirrors) == 0 {
			delete(f.given, s)
		}
	}
}
