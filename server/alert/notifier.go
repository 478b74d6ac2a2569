package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/backoff"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// Notifier decides which state changes are worth a message and sends
// them over the configured channels. Notify and NotifyNameServers never
// block on the network; Run delivers.
type Notifier struct {
	log       *slog.Logger
	met       *metrics
	now       func() time.Time
	sleep     backoff.SleepFunc // waits between tries
	tickEvery time.Duration

	mu       sync.Mutex // guards core and reported; held while queueing, to keep order
	core     *decider
	reported uint64 // core.suppressed already added to the metric
	channels []*channel
}

// channel is one sender and its bounded queue.
type channel struct {
	s     sender
	tries int
	size  int
	wake  chan struct{} // capacity 1

	mu      sync.Mutex
	queue   []message
	dropped int // since the worker last logged it
}

// New returns a Notifier for cfg, which it validates, registering its
// metrics on reg. A Config without channels gives a Notifier that decides
// and counts but sends nothing.
func New(cfg Config, reg prometheus.Registerer, log *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("alert: %w", err)
	}
	cfg = cfg.withDefaults()
	var chans []*channel
	if w := cfg.Webhook; w != nil {
		chans = append(chans, newChannel(newWebhook(*w), w.MaxTries, cfg.QueueSize))
	}
	if s := cfg.SMTP; s != nil {
		chans = append(chans, newChannel(newMailer(*s), s.MaxTries, cfg.QueueSize))
	}
	return newNotifier(cfg, chans, reg, log)
}

func newChannel(s sender, tries, size int) *channel {
	return &channel{s: s, tries: tries, size: size, wake: make(chan struct{}, 1)}
}

func newNotifier(cfg Config, chans []*channel, reg prometheus.Registerer, log *slog.Logger) (*Notifier, error) {
	names := make([]string, len(chans))
	for i, c := range chans {
		names[i] = c.s.name()
	}
	met, err := newMetrics(reg, names)
	if err != nil {
		return nil, fmt.Errorf("alert: metrics: %w", err)
	}
	return &Notifier{
		log: log.With("component", "alert"), met: met, now: time.Now, sleep: backoff.Sleep,
		tickEvery: tickInterval, core: newDecider(cfg), channels: chans,
	}, nil
}

// Notify takes the checker's transitions (after its hysteresis) and
// queues the messages they call for. It never blocks; ctx is unused and
// there for the caller's convenience.
func (n *Notifier) Notify(_ context.Context, trs []checker.Transition) {
	n.decide(func(now time.Time) (out []message) {
		for _, tr := range trs {
			out = append(out, n.core.transition(now, tr)...)
		}
		return out
	})
}

// NotifyNameServers takes what the checker knows about name servers that
// serve, or stopped serving, an old serial. It never blocks.
func (n *Notifier) NotifyNameServers(_ context.Context, lags []NameServerLag) {
	n.decide(func(now time.Time) (out []message) {
		for _, l := range lags {
			out = append(out, n.core.nameServer(now, l)...)
		}
		return out
	})
}

// tick lets the passing of time produce messages (see decider.tick).
func (n *Notifier) tick() {
	n.decide(n.core.tick)
}

// decide runs f on the core at the current time and queues its messages
// on every channel, in order.
func (n *Notifier) decide(f func(now time.Time) []message) {
	now := n.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	ms := f(now)
	n.met.suppressed.Add(float64(n.core.suppressed - n.reported))
	n.reported = n.core.suppressed
	for i := range ms {
		ms[i].ID = newID()
		for _, c := range n.channels {
			if c.push(ms[i]) {
				n.met.dropped.WithLabelValues(c.s.name()).Inc()
			}
		}
	}
}

// push queues m, dropping the oldest message when the queue is full; it
// reports whether it dropped one.
func (c *channel) push(m message) (dropped bool) {
	c.mu.Lock()
	if len(c.queue) >= c.size {
		c.queue = c.queue[1:]
		c.dropped++
		dropped = true
	}
	c.queue = append(c.queue, m)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return dropped
}

// pop takes the oldest queued message, and the count of drops since the
// last pop that saw any.
func (c *channel) pop() (m message, ok bool, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dropped, c.dropped = c.dropped, 0
	if len(c.queue) == 0 {
		return message{}, false, dropped
	}
	m = c.queue[0]
	c.queue = c.queue[1:]
	return m, true, dropped
}

// Run delivers queued messages, one worker per channel, and ticks the
// core every minute, until ctx ends; then it returns nil. Messages still
// queued then are not sent.
func (n *Notifier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, c := range n.channels {
		wg.Go(func() { n.deliver(ctx, c) })
	}
	t := time.NewTicker(n.tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-t.C:
			n.tick()
		}
	}
}

// deliver sends c's messages as they come.
func (n *Notifier) deliver(ctx context.Context, c *channel) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		for ctx.Err() == nil {
			m, ok, dropped := c.pop()
			if dropped > 0 {
				n.log.Warn("queue full, dropped oldest messages", "channel", c.s.name(), "dropped", dropped)
			}
			if !ok {
				break
			}
			n.sendOne(ctx, c, m)
		}
	}
}

// sendOne tries to send m over c, with backoff between tries, and counts
// and logs the outcome.
func (n *Notifier) sendOne(ctx context.Context, c *channel, m message) {
	pol := backoff.Policy{Initial: retryInitial, Max: retryMax}
	var last error
	sleep := func(ctx context.Context, d time.Duration) error {
		if isPermanent(last) {
			return last
		}
		return n.sleep(ctx, d)
	}
	err := backoff.Retry(ctx, pol, c.tries, sleep, func(int) error {
		last = c.s.send(ctx, m)
		return last
	})
	name := c.s.name()
	switch {
	case err == nil:
		n.met.sent.WithLabelValues(name).Inc()
	case ctx.Err() != nil:
		// shutting down; not a failure of the channel
	default:
		n.met.failed.WithLabelValues(name).Inc()
		n.log.Warn("notification not sent", "channel", name, "kind", m.Kind,
			"mirror", m.Mirror, "tree", m.Tree, "server", m.Server, "err", err)
	}
}
