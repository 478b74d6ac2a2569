package checker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/repomd"
)

// Repository consistency timing.
const (
	// DefaultRepomdHistory is how many of the master's repomd.xml versions
	// per repo and arch (the current one and those before) a mirror may
	// serve and be consistent: as many as a metalink lists as alternates.
	DefaultRepomdHistory = 4
	// masterRefresh is the longest the master's repomd.xml is reused;
	// it is fetched again at once when the tree's signal moves.
	masterRefresh = time.Minute
	// masterRetry is the shortest time between two fetches of one master
	// repomd.xml on a mismatch: a mirror may have a version newer than
	// the one cached.
	masterRetry = 5 * time.Second
)

// repomdFile is where a repo's directory holds its repomd.xml.
const repomdFile = "repodata/repomd.xml"

// RepomdFetcher gets one repomd.xml over one IP family; *repomd.Fetcher is
// one. Its errors wrap repomd.ErrMissing, repomd.ErrBad or another reason.
type RepomdFetcher interface {
	Fetch(ctx context.Context, url string, fam probe.Family) (repomd.Repomd, error)
}

// repoArch is one repo and architecture.
type repoArch struct{ repo, arch string }

// masterVersions keeps, per repo and arch, the fingerprints of the
// master's last repomd.xml versions. Rounds share it: one fetch per entry
// at a time, the others wait for it.
type masterVersions struct {
	mu      sync.Mutex
	entries map[repoArch]*masterEntry
	keep    int
}

type masterEntry struct {
	mu      sync.Mutex // held while fetching
	history []string   // fingerprints, newest first, at most keep
	fetched time.Time  // zero: never
	signal  int64      // the tree's signal when fetched
}

func newMasterVersions(keep int) *masterVersions {
	return &masterVersions{entries: map[repoArch]*masterEntry{}, keep: keep}
}

func (mv *masterVersions) entry(k repoArch) *masterEntry {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	e := mv.entries[k]
	if e == nil {
		e = &masterEntry{}
		mv.entries[k] = e
	}
	return e
}

// add makes fp the master's current version.
func (e *masterEntry) add(fp string, keep int) {
	if len(e.history) > 0 && e.history[0] == fp {
		return
	}
	e.history = slices.Insert(slices.DeleteFunc(e.history, func(h string) bool { return h == fp }), 0, fp)
	e.history = e.history[:min(len(e.history), keep)]
}

// stale reports whether e must be fetched again at now for signal; retry
// asks for a fresher copy after a mismatch.
func (e *masterEntry) stale(now time.Time, signal int64, retry bool) bool {
	switch {
	case e.fetched.IsZero() || e.signal != signal:
		return true
	case retry:
		return now.Sub(e.fetched) >= masterRetry
	}
	return now.Sub(e.fetched) >= masterRefresh
}

// masterURL is the master's repomd.xml of repo for arch, "" when the tree
// has no master base URL or the repo does not list arch.
func masterURL(base string, r mirrors.Repo, arch string) string {
	rel, ok := r.Path(arch)
	if base == "" || !ok {
		return ""
	}
	u, err := url.JoinPath(base, rel, repomdFile)
	if err != nil {
		return ""
	}
	return u
}

// masterHistory returns the fingerprints of the master's last versions of
// r for arch, fetching the current one when the cached one is stale
// (retry: after a mismatch). It is empty when the master's copy could
// not be had: then nothing can be judged.
func (c *Checker) masterHistory(ctx context.Context, r mirrors.Repo, arch string, signal int64, retry bool) []string {
	u := masterURL(c.o.RepoBases[r.Tree()], r, arch)
	if u == "" {
		return nil
	}
	e := c.master.entry(repoArch{r.Name(), arch})
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.stale(c.o.Now(), signal, retry) {
		return slices.Clone(e.history)
	}
	got, err := c.fetchRepomd(ctx, u, probe.Any)
	if ctx.Err() != nil {
		return nil
	}
	e.fetched, e.signal = c.o.Now(), signal
	if err != nil {
		// Logged once per refresh at most: the entry is not stale again
		// before masterRefresh (or masterRetry).
		c.o.Log.Error("fetching the master's repomd.xml", "repo", r.Name(), "arch", arch, "url", u, "err", err)
		return slices.Clone(e.history)
	}
	e.add(got.Fingerprint(), c.o.RepomdHistory)
	return slices.Clone(e.history)
}

// fetchRepomd fetches one repomd.xml within the per-host and global
// limits. The caller must hold no slot: a probe never waits for a second
// slot while holding one.
func (c *Checker) fetchRepomd(ctx context.Context, u string, fam probe.Family) (repomd.Repomd, error) {
	release, err := c.hosts.acquire(ctx, hostOf(u))
	if err != nil {
		return repomd.Repomd{}, err
	}
	defer release()
	releaseSem, err := acquire(ctx, c.sem)
	if err != nil {
		return repomd.Repomd{}, err
	}
	defer releaseSem()
	return c.o.Repomd.Fetch(ctx, u, fam)
}

// consistent checks, for a TIME seen fresh over HTTP(S), each repo of the
// tree against the master: r becomes Inconsistent at the first repo and
// arch whose repomd.xml is garbage or matches none of the master's last
// RepomdHistory versions. A repomd.xml the mirror does not have (404: it
// may leave that repo or arch out), one it could not serve (a transport
// error, right after its TIME), and one whose master copy could not be
// had give no verdict.
func (c *Checker) consistent(ctx context.Context, m mirrors.Mirror, t target, r Result, signal int64) Result {
	if r.State != Fresh || c.o.Repomd == nil || (t.Proto != mirrors.HTTP && t.Proto != mirrors.HTTPS) {
		return r
	}
	for _, repo := range c.o.Fleet().Repos() {
		if repo.Tree() != t.Tree || c.o.RepoBases[repo.Tree()] == "" {
			continue
		}
		for _, arch := range repo.Arches() {
			if why := c.checkRepo(ctx, m, t, repo, arch, signal); why != "" && ctx.Err() == nil {
				r.State, r.Err = Inconsistent, why
				return r
			}
		}
	}
	return r
}

// checkRepo compares one repo and arch of m with the master; it returns
// why they disagree, or "".
func (c *Checker) checkRepo(ctx context.Context, m mirrors.Mirror, t target, repo mirrors.Repo, arch string, signal int64) string {
	dir, ok := m.RepoURL(repo, arch, t.Proto)
	if !ok {
		return ""
	}
	master := c.masterHistory(ctx, repo, arch, signal, false)
	if len(master) == 0 {
		return ""
	}
	got, err := c.fetchRepomd(ctx, dir+repomdFile, t.fam)
	switch {
	case errors.Is(err, repomd.ErrBad):
		return fmt.Sprintf("repomd.xml of %s/%s: %v", repo.Name(), arch, err)
	case err != nil:
		return ""
	}
	fp := got.Fingerprint()
	if slices.Contains(master, fp) {
		return ""
	}
	if master = c.masterHistory(ctx, repo, arch, signal, true); slices.Contains(master, fp) {
		return ""
	}
	return fmt.Sprintf("repomd.xml of %s/%s (revision %q) is none of the master's last %d", repo.Name(), arch, got.Revision, len(master))
}

// inherit makes the fresh rsync results of a round Inconsistent when an
// HTTP(S) result of the same tree found the tree inconsistent: repomd.xml
// is fetched over HTTP(S) only, and a half-synced tree is half-synced
// whichever protocol serves it. A mirror offering a tree over rsync only
// is not checked.
func inherit(rs []Result) {
	for i, r := range rs {
		if r.Proto != mirrors.Rsync || r.State != Fresh {
			continue
		}
		for _, o := range rs {
			if o.Tree == r.Tree && o.State == Inconsistent && o.Proto != mirrors.Rsync {
				rs[i].State, rs[i].Err = Inconsistent, fmt.Sprintf("over %s: %s", o.Proto, o.Err)
				break
			}
		}
	}
}
