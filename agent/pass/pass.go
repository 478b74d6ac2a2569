package pass

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/advice"
	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/lockfile"
	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
)

// SignalReader reads the signal and checks the `_trees` layout.
type SignalReader interface {
	Read(ctx context.Context) (query.Signal, error)
	CheckLayout(ctx context.Context) error
}

// Syncer runs one rsync job.
type Syncer interface {
	Run(ctx context.Context, j rsync.Job) error
}

// Advisor fetches verified sync-source advice.
type Advisor interface {
	Fetch(ctx context.Context, tree string, stamp int64) (advice.Result, error)
}

// Checkiner reports a finished sync.
type Checkiner interface {
	Send(ctx context.Context, mirror string, trees map[string]int64) error
}

// Deps are what a pass needs. Advice and Checkin may be nil (off).
type Deps struct {
	Config  *config.Config
	Log     *slog.Logger
	Now     func() time.Time
	Reader  SignalReader
	Rsync   Syncer
	Lock    func() (unlock func() error, err error)
	Advice  Advisor
	Checkin Checkiner
}

// Pass runs passes.
type Pass struct{ d Deps }

// New returns a Pass.
func New(d Deps) *Pass {
	d.Log = d.Log.With("component", "pass")
	return &Pass{d: d}
}

// run is the state of one Run.
type run struct {
	st            *state.State
	layoutChecked bool
	unlock        func() error
	codes         []int
	errs          []error
	synced        bool // a tree was synced since the last check-in
}

func (r *run) fail(code int, err error) {
	r.codes = append(r.codes, code)
	r.errs = append(r.errs, err)
}

// result is the error Run returns: nil, or the joined failures with the
// worst exit code, marked as already logged.
func (r *run) result() error {
	if len(r.errs) == 0 {
		return nil
	}
	return exitcode.Reported(exitcode.New(exitcode.Worst(r.codes...), errors.Join(r.errs...)))
}

// Run is one pass. Lock busy returns nil (exit 0), unless it has been busy
// for longer than sync.max_interval.
func (p *Pass) Run(ctx context.Context) error {
	st, err := state.Load(p.d.Config.Sync.StateFile)
	if err != nil {
		p.d.Log.Error("cannot read the state file", "err", err)
		return exitcode.Reported(exitcode.New(exitcode.Failure, err))
	}
	r := &run{st: st}
	defer r.release(p.d.Log)
	p.noteTrees(st)
	sig, sigErr := p.read(ctx, r)
	busy := p.rounds(ctx, r, sig, sigErr)
	if !busy {
		p.save(r)
	}
	return r.result()
}

// rounds syncs what the signal asks for, then re-queries and goes again
// (at most sync.max_rounds times) while the signal moves. It reports
// whether the lock was busy.
func (p *Pass) rounds(ctx context.Context, r *run, sig query.Signal, sigErr error) bool {
	var only map[string]bool // trees whose stamp moved, after round one
	for round := 1; ; round++ {
		items := p.plan(sig, sigErr, r.st, only)
		if len(items) == 0 {
			if round == 1 && sigErr == nil { // equivalent mutants: only whether "up to date" is logged
				p.d.Log.Info("up to date", "signal", sig.Text, "server", sig.Server)
			}
			return false
		}
		if sigErr == nil && !r.layoutChecked {
			if sigErr = p.checkLayout(ctx, r); sigErr != nil {
				continue // plan again without the signal: only due trees
			}
		}
		if busy := p.lock(r); busy || r.unlock == nil {
			return busy
		}
		items = p.plan(sig, sigErr, r.st, only) // another agent may just have synced
		p.syncAll(ctx, r, items)
		p.checkin(ctx, r)
		p.save(r)
		if sigErr != nil || round >= p.d.Config.Sync.MaxRounds || ctx.Err() != nil {
			return false
		}
		next, err := p.d.Reader.Read(ctx)
		if err != nil {
			p.d.Log.Warn("re-query after the sync failed; stopping here", "err", err)
			return false
		}
		if only = p.moved(sig, next); len(only) == 0 {
			return false
		}
		p.d.Log.Info("the signal moved during the sync; another round", "signal", next.Text, "round", round+1) // equivalent mutants: log only
		sig = next
	}
}

// lock takes the lock once per pass. Busy is logged at info level (exit 0)
// unless it has lasted too long (see busy).
func (p *Pass) lock(r *run) (busy bool) {
	if r.unlock != nil {
		return false
	}
	unlock, err := p.d.Lock()
	switch {
	case errors.Is(err, lockfile.ErrBusy):
		p.busy(r, err)
		return true
	case err != nil:
		p.d.Log.Error("cannot take the lock", "err", err)
		r.fail(exitcode.Failure, err)
		return false
	}
	r.unlock = unlock
	r.st.LockBusySince = 0
	return false
}

// busy reports a busy lock. It is normal until the lock has been busy for
// longer than sync.max_interval: then the holder is stuck, or is someone
// keeping every pass and the max-interval sync from running, and each pass
// fails (exit 1, on stderr) naming the holder.
func (p *Pass) busy(r *run, err error) {
	now := p.d.Now()
	since := p.busySince(now)
	limit := p.d.Config.Sync.MaxInterval.D()
	if held := now.Sub(since); held > limit {
		err = fmt.Errorf("%w; busy since %s (%s), longer than sync.max_interval %s",
			err, since.UTC().Format(time.RFC3339), held.Round(time.Second), limit)
		p.d.Log.Error("the lock has been busy too long: no pass can sync", "err", err)
		r.fail(exitcode.Failure, err)
		return
	}
	p.d.Log.Info("another mirror-agent holds the lock; exiting", "err", err)
}

// busySince returns when passes first found the lock busy, recording now
// if this is the first. The holder may be saving the state file, so it is
// re-read just before writing, and written once per busy spell.
func (p *Pass) busySince(now time.Time) time.Time {
	path := p.d.Config.Sync.StateFile
	st, err := state.Load(path)
	if err == nil && st.LockBusySince == 0 {
		st.LockBusySince = now.Unix()
		err = state.Save(path, st)
	}
	if err != nil {
		p.d.Log.Warn("cannot record since when the lock is busy", "err", err)
		return now
	}
	return time.Unix(st.LockBusySince, 0)
}

func (r *run) release(log *slog.Logger) {
	if r.unlock == nil {
		return
	}
	if err := r.unlock(); err != nil { // equivalent mutant: only whether a warning is logged
		log.Warn("unlock", "err", err)
	}
}

// moved returns the configured trees whose stamp is newer in next.
func (p *Pass) moved(prev, next query.Signal) map[string]bool {
	out := map[string]bool{}
	for _, tree := range p.d.Config.TreeNames() {
		a, _ := prev.Record.Stamp(tree)
		b, _ := next.Record.Stamp(tree)
		if b > a {
			out[tree] = true
		}
	}
	return out
}

func (p *Pass) save(r *run) {
	if err := state.Save(p.d.Config.Sync.StateFile, r.st); err != nil {
		p.d.Log.Error("cannot write the state file", "err", err)
		r.fail(exitcode.Failure, err)
	}
}

// noteTrees gives new trees a first-seen time: the max-interval clock of a
// tree never synced by this agent starts when the agent first sees it.
func (p *Pass) noteTrees(st *state.State) {
	now := p.d.Now().Unix()
	for _, tree := range p.d.Config.TreeNames() {
		if t := st.Tree(tree); t.FirstSeen == 0 {
			t.FirstSeen = now
		}
	}
}
