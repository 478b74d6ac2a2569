package mirrorlist

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/repomd"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Master tracker timing and limits.
const (
	// DefaultMasterRefresh is how often every master repomd.xml is read
	// when the signal does not move.
	DefaultMasterRefresh = 5 * time.Minute
	// masterTimeout bounds one fetch of a master repomd.xml.
	masterTimeout = 20 * time.Second
	// maxVersions is the most versions kept per repo and arch, whatever
	// the grace.
	maxVersions = 16
)

// TrackedRepo is one repo and arch whose master repomd.xml is tracked.
type TrackedRepo struct {
	Name, Arch, Tree string
	Path             string // under the tree's root, $arch expanded
}

// TrackedRepos lists every repo and arch of the fleet.
func TrackedRepos(repos []mirrors.Repo) []TrackedRepo {
	var out []TrackedRepo
	for _, r := range repos {
		for _, arch := range r.Arches() {
			p, _ := r.Path(arch)
			out = append(out, TrackedRepo{Name: r.Name(), Arch: arch, Tree: r.Tree(), Path: p})
		}
	}
	return out
}

// TrackerOptions configure a MasterTracker.
type TrackerOptions struct {
	Repos []TrackedRepo
	// Masters are the master's base URL (repo_base) of each tree; a repo
	// whose tree has none is listed without versions.
	Masters map[string]string
	// StatePath is the JSON file keeping the history ("" keeps none).
	StatePath string
	Refresh   time.Duration // DefaultMasterRefresh when 0
	// Grace is how long a replaced version is kept and reported;
	// DefaultAlternatesGrace when 0.
	Grace    time.Duration
	Client   *http.Client // a plain client with masterTimeout when nil
	Now      func() time.Time
	OnChange func() // told when Repos would return something new
	Logger   *slog.Logger
}

// MasterTracker reads the master's repodata/repomd.xml of every repo and
// arch, when the tree's signal moves and every Refresh, and keeps each
// one's versions with when they were first seen and when replaced: the
// metalink's current hashes and its alternates. The history survives
// restarts in a JSON file written atomically.
type MasterTracker struct {
	o    TrackerOptions
	log  *slog.Logger
	kick chan struct{}

	mu      sync.Mutex
	history map[repoKey][]status.RepomdVersion // newest first
	due     map[string]bool                    // trees to read at once
	stamps  map[string]int64
}

// NewMasterTracker returns a tracker holding the history in StatePath.
func NewMasterTracker(o TrackerOptions) (*MasterTracker, error) {
	if o.Refresh <= 0 {
		o.Refresh = DefaultMasterRefresh
	}
	if o.Grace <= 0 {
		o.Grace = DefaultAlternatesGrace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: masterTimeout}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	t := &MasterTracker{o: o, log: o.Logger.With("component", "repomd-tracker"), kick: make(chan struct{}, 1),
		history: map[repoKey][]status.RepomdVersion{}, due: map[string]bool{}, stamps: map[string]int64{}}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// SignalChanged is told the trees' published stamps; the repos of a tree
// whose stamp moved are read again at once.
func (t *MasterTracker) SignalChanged(stamps map[string]int64) {
	t.mu.Lock()
	moved := false
	for tree, st := range stamps {
		if old, ok := t.stamps[tree]; !ok || old != st {
			t.stamps[tree] = st
			t.due[tree] = true
			moved = true
		}
	}
	t.mu.Unlock()
	if moved {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

// Run reads every master repomd.xml now, then on each signal move and
// every Refresh, until ctx ends.
func (t *MasterTracker) Run(ctx context.Context) error {
	t.RefreshAll(ctx)
	tick := time.NewTicker(t.o.Refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			t.RefreshAll(ctx)
		case <-t.kick:
			t.mu.Lock()
			trees := t.due
			t.due = map[string]bool{}
			t.mu.Unlock()
			t.refresh(ctx, func(r TrackedRepo) bool { return trees[r.Tree] })
		}
	}
}

// RefreshAll reads every master repomd.xml once.
func (t *MasterTracker) RefreshAll(ctx context.Context) {
	t.refresh(ctx, func(TrackedRepo) bool { return true })
}

func (t *MasterTracker) refresh(ctx context.Context, pick func(TrackedRepo) bool) {
	changed := false
	for _, r := range t.o.Repos {
		if !pick(r) || ctx.Err() != nil {
			continue
		}
		base := t.o.Masters[r.Tree]
		u := joinURL(base, escapeOrEmpty(r.Path), "")
		if u == "" {
			continue
		}
		v, err := t.fetch(ctx, u+"repodata/repomd.xml")
		if err != nil {
			t.log.Warn("reading the master's repomd.xml", "repo", r.Name, "arch", r.Arch, "url", u, "err", err)
			continue
		}
		if t.record(repoKey{r.Name, r.Arch}, v) {
			changed = true
		}
	}
	if changed {
		if err := t.save(); err != nil {
			t.log.Error("saving the repomd.xml history", "err", err)
		}
		if t.o.OnChange != nil {
			t.o.OnChange()
		}
	}
}

func escapeOrEmpty(p string) string {
	e, ok := escapePath(p)
	if !ok {
		return "\x00" // joinURL gives "" for a control character
	}
	return e
}

// fetch reads one repomd.xml, uncached and size-capped, and describes it.
func (t *MasterTracker) fetch(ctx context.Context, u string) (status.RepomdVersion, error) {
	ctx, cancel := context.WithTimeout(ctx, masterTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return status.RepomdVersion{}, err
	}
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Pragma", "no-cache")
	resp, err := t.o.Client.Do(req)
	if err != nil {
		return status.RepomdVersion{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return status.RepomdVersion{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, repomd.MaxSize+1))
	if err != nil {
		return status.RepomdVersion{}, err
	}
	if len(b) > repomd.MaxSize {
		return status.RepomdVersion{}, fmt.Errorf("larger than %d bytes", repomd.MaxSize)
	}
	lastMod, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return Describe(b, lastMod, t.o.Now())
}

// Describe returns the size, timestamp and hashes of a repomd.xml read at
// now: the timestamp is the newest <timestamp> inside, else lastMod.
func Describe(b []byte, lastMod, now time.Time) (status.RepomdVersion, error) {
	md, err := repomd.Parse(b)
	if err != nil {
		return status.RepomdVersion{}, err
	}
	v := status.RepomdVersion{Size: int64(len(b)), Seen: now.UTC()}
	for _, d := range md.Data {
		v.Timestamp = max(v.Timestamp, d.Timestamp)
	}
	if v.Timestamp == 0 && !lastMod.IsZero() {
		v.Timestamp = lastMod.Unix()
	}
	m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	v.MD5, v.SHA1 = hex.EncodeToString(m5[:]), hex.EncodeToString(s1[:])
	v.SHA256, v.SHA512 = hex.EncodeToString(s256[:]), hex.EncodeToString(s512[:])
	return v, nil
}

// record makes v the current version of k and reports whether the
// history changed.
func (t *MasterTracker) record(k repoKey, v status.RepomdVersion) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.history[k]
	if len(h) > 0 && h[0].SHA256 == v.SHA256 {
		return false
	}
	now := t.o.Now().UTC()
	if len(h) > 0 {
		h[0].Replaced = now
	}
	// A version seen before (the master went back) keeps its first Seen.
	if i := slices.IndexFunc(h, func(o status.RepomdVersion) bool { return o.SHA256 == v.SHA256 }); i >= 0 {
		v.Seen = h[i].Seen
		h = slices.Delete(h, i, i+1)
	}
	v.Replaced = time.Time{}
	t.history[k] = t.prune(slices.Insert(h, 0, v), now)
	return true
}

// prune drops versions replaced longer than the grace ago.
func (t *MasterTracker) prune(h []status.RepomdVersion, now time.Time) []status.RepomdVersion {
	out := h[:1]
	for _, v := range h[1:] {
		if now.Sub(v.Replaced) <= t.o.Grace && len(out) < maxVersions {
			out = append(out, v)
		}
	}
	return out
}

// Repos returns every tracked repo and arch with the master's current
// repomd.xml and the versions replaced within the grace, for the status
// builder.
func (t *MasterTracker) Repos() []status.Repo {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.o.Now()
	out := make([]status.Repo, 0, len(t.o.Repos))
	for _, r := range t.o.Repos {
		sr := status.Repo{Name: r.Name, Arch: r.Arch, Tree: r.Tree, Path: r.Path}
		for i, v := range t.history[repoKey{r.Name, r.Arch}] {
			if i == 0 || now.Sub(v.Replaced) <= t.o.Grace {
				sr.Versions = append(sr.Versions, v)
			}
		}
		out = append(out, sr)
	}
	return out
}
