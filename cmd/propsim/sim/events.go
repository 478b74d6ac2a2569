package sim

import (
	"container/heap"
	"time"
)

// kind of event. At equal times events run in this order, so that a
// finished sync frees its slot before the polls of the same instant.
type kind int

const (
	evDone    kind = iota // a sync ended
	evVisible             // the checker saw a fresh source: advice may name it
	evFeed                // a tier-1 host syncs from the master
	evTrigger             // a push trigger from the upstream
	evPoll                // an agent polls the signal
	evCron                // a cron rsync run
)

// event is one thing that happens at a simulated time.
type event struct {
	at   time.Duration
	kind kind
	m    int  // the mirror
	src  int  // evDone, evTrigger: the upstream
	ok   bool // evDone: the upstream had the content when the sync started
	seq  uint64
}

// queue orders events by time, kind, then insertion: deterministic.
type queue struct {
	ev  []event
	seq uint64
}

func (q *queue) Len() int { return len(q.ev) }

func (q *queue) Less(i, j int) bool {
	a, b := &q.ev[i], &q.ev[j]
	if a.at != b.at {
		return a.at < b.at
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.seq < b.seq
}

func (q *queue) Swap(i, j int) { q.ev[i], q.ev[j] = q.ev[j], q.ev[i] }

func (q *queue) Push(x any) { q.ev = append(q.ev, x.(event)) }

func (q *queue) Pop() any {
	e := q.ev[len(q.ev)-1]
	q.ev = q.ev[:len(q.ev)-1]
	return e
}

func (q *queue) add(e event) {
	q.seq++
	e.seq = q.seq
	heap.Push(q, e)
}

func (q *queue) next() event { return heap.Pop(q).(event) }
