package alert

import (
	"cmp"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// subject is what messages are about: a tree on a mirror, or a name
// server. The gap between messages is kept per subject.
type subject struct {
	Mirror, Tree string
	Server       string
}

// entry is the core's memory of one subject.
type entry struct {
	state checker.State // the last state the checker reported (mirrors)
	lag   time.Duration
	err   string

	// lagging: the mirror is behind (or inconsistent), or the name server
	// serves an old serial, since lagSince; lagDone: that episode has
	// been reported. from is the mirror's state before the episode.
	lagging  bool
	lagSince time.Time
	lagDone  bool
	from     checker.State
	serial   uint32
	want     uint32

	told       Kind      // the kind of the last message let go or held
	lastSent   time.Time // when the last message was let go; zero: never
	held       *message  // the message waiting for the gap to pass
	suppressed int       // messages replaced by held since lastSent
}

// decider is the pure core: it turns transitions, name-server reports and
// the passing of time into messages. Every method takes now; nothing in
// it reads a clock or does I/O. It is not safe for concurrent use.
type decider struct {
	minGap, staleAfter, nsGrace time.Duration

	subjects   map[subject]*entry
	suppressed uint64 // all messages ever replaced before they were let go
}

func newDecider(cfg Config) *decider {
	cfg = cfg.withDefaults()
	return &decider{
		minGap:     cfg.MinGap,
		staleAfter: cfg.StaleAfter,
		nsGrace:    cfg.NameServerGrace,
		subjects:   make(map[subject]*entry),
	}
}

// lagging reports the mirror states that become "stale" after StaleAfter.
func lagging(s checker.State) bool {
	return s == checker.Behind || s == checker.Inconsistent
}

// transition takes one state change of a mirror's tree and returns the
// messages to send now.
func (d *decider) transition(now time.Time, tr checker.Transition) []message {
	s := subject{Mirror: tr.Mirror, Tree: tr.Tree}
	e, known := d.subjects[s]
	if tr.To == checker.Unknown { // no longer probed: forget it
		delete(d.subjects, s)
		return nil
	}
	if !known {
		e = &entry{}
		d.subjects[s] = e
	}
	repeat := known && tr.To == e.state
	wasLagging := e.lagging
	e.state, e.lag, e.err = tr.To, tr.Lag, tr.Err
	if repeat {
		return nil
	}
	e.lagging = lagging(tr.To)
	switch {
	case e.lagging:
		if !wasLagging {
			e.lagSince, e.from, e.lagDone = tr.At, tr.From, false
		}
		return d.checkLag(now, s, e)
	case tr.To == checker.Fresh && e.told.problem():
		return d.want(now, s, e, mirrorMessage(Back, tr))
	case tr.To == checker.Unreachable:
		return d.want(now, s, e, mirrorMessage(Unreachable, tr))
	case tr.To == checker.Error:
		return d.want(now, s, e, mirrorMessage(Failing, tr))
	}
	return nil
}

func mirrorMessage(k Kind, tr checker.Transition) message {
	return message{
		Kind: k, Mirror: tr.Mirror, Tree: tr.Tree,
		From: tr.From, To: tr.To, At: tr.At, Lag: tr.Lag, Err: tr.Err,
	}
}

// nameServer takes what the checker knows about one name server and
// returns the messages to send now.
func (d *decider) nameServer(now time.Time, l NameServerLag) []message {
	s := subject{Server: l.Server}
	e, known := d.subjects[s]
	if l.Cleared {
		if !known || !e.lagging {
			return nil
		}
		e.lagging = false
		if !e.told.problem() {
			return nil
		}
		return d.want(now, s, e, message{
			Kind: NameServerOK, Server: l.Server, At: now, Serial: l.Serial, Want: l.Want,
		})
	}
	if !known {
		e = &entry{}
		d.subjects[s] = e
	}
	if !e.lagging {
		e.lagging, e.lagSince, e.lagDone = true, l.Since, false
	}
	e.serial, e.want = l.Serial, l.Want
	return d.checkLag(now, s, e)
}

// tick returns the messages that the passing of time lets go: stale
// mirrors, lagging name servers, and held messages whose gap has passed.
func (d *decider) tick(now time.Time) []message {
	keys := make([]subject, 0, len(d.subjects))
	for s := range d.subjects {
		keys = append(keys, s)
	}
	slices.SortFunc(keys, func(a, b subject) int {
		return cmp.Or(cmp.Compare(a.Server, b.Server), cmp.Compare(a.Mirror, b.Mirror), cmp.Compare(a.Tree, b.Tree))
	})
	var out []message
	for _, s := range keys {
		e := d.subjects[s]
		out = append(out, d.checkLag(now, s, e)...)
		out = append(out, d.release(now, e)...)
	}
	return out
}

// checkLag reports a lagging episode once it has lasted its grace period.
func (d *decider) checkLag(now time.Time, s subject, e *entry) []message {
	grace := d.staleAfter
	if s.Server != "" {
		grace = d.nsGrace
	}
	if !e.lagging || e.lagDone || now.Before(e.lagSince.Add(grace)) {
		return nil
	}
	e.lagDone = true
	if s.Server != "" {
		return d.want(now, s, e, message{
			Kind: NameServerLags, Server: s.Server, At: e.lagSince, Serial: e.serial, Want: e.want,
		})
	}
	return d.want(now, s, e, message{
		Kind: Stale, Mirror: s.Mirror, Tree: s.Tree,
		From: e.from, To: e.state, At: e.lagSince, Lag: e.lag, Err: e.err,
	})
}

// want holds m as the next message about s, replacing (and counting) any
// message already held, and lets it go if the gap allows.
func (d *decider) want(now time.Time, s subject, e *entry, m message) []message {
	e.told = m.Kind
	if e.held != nil {
		e.suppressed++
		d.suppressed++
	}
	e.held = &m
	return d.release(now, e)
}

// release lets the held message go when MinGap has passed since the last
// one, bringing what changed while it waited up to date.
func (d *decider) release(now time.Time, e *entry) []message {
	if e.held == nil || (!e.lastSent.IsZero() && now.Before(e.lastSent.Add(d.minGap))) {
		return nil
	}
	m := *e.held
	m.Decided, m.Suppressed = now, e.suppressed
	switch m.Kind {
	case Stale:
		if e.lagging {
			m.To, m.Lag, m.Err = e.state, e.lag, e.err
		}
		m.Behind = now.Sub(m.At)
	case NameServerLags:
		m.Serial, m.Want = e.serial, e.want
		m.Behind = now.Sub(m.At)
	}
	e.held, e.suppressed, e.lastSent = nil, 0, now
	return []message{m}
}
