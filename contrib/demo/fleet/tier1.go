package fleet

import (
	"context"
	"time"
)

// feedWait bounds one tier-1 sync from the master.
const feedWait = 5 * time.Minute

// Tier1Sync is one sync of a tier-1 host from the master.
type Tier1Sync struct {
	Stamp      int64 // the master's TIME that started it
	Start, End time.Time
	Err        error
}

// startFeeds starts, for each tier-1 host, the loop that syncs it from
// the master's rsync daemon whenever the master's TIME is newer than its
// own: the publisher's plant is what sets it going, as a master's push
// to its sync hosts would.
func (f *Fleet) startFeeds() {
	ctx, cancel := context.WithCancel(context.Background())
	f.feedStop = cancel
	for _, h := range f.tier1 {
		f.feeds.Go(func() { f.feed(ctx, h) })
	}
}

func (f *Fleet) feed(ctx context.Context, h *host) {
	t := time.NewTicker(f.o.Tier1Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		want := readStamp(f.master.Dir)
		if want <= readStamp(h.Dir) {
			continue
		}
		s := Tier1Sync{Stamp: want, Start: time.Now()}
		rctx, cancel := context.WithTimeout(ctx, feedWait)
		s.Err = runRsync(rctx, f.o.Rsync, "-a", "--delete-delay", "--delay-updates", "--exclude=.~tmp~",
			"--contimeout=5", "--timeout=30", f.master.RsyncURL(), h.Dir+"/")
		cancel()
		s.End = time.Now()
		if s.Err != nil && ctx.Err() == nil {
			f.o.Log.Warn("tier-1 sync failed", "host", h.Name, "err", s.Err)
		}
		f.mu.Lock()
		f.fed[h.Name] = append(f.fed[h.Name], s)
		f.mu.Unlock()
	}
}

// Tier1Syncs returns the syncs of each tier-1 host so far.
func (f *Fleet) Tier1Syncs() map[string][]Tier1Sync {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]Tier1Sync, len(f.fed))
	for k, v := range f.fed {
		out[k] = append([]Tier1Sync(nil), v...)
	}
	return out
}
