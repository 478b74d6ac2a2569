package pass

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
)

// syncAll syncs the planned trees one after the other.
func (p *Pass) syncAll(ctx context.Context, r *run, items []item) {
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			p.d.Log.Error("stopped before syncing", "tree", it.tree, "err", err)
			r.fail(exitcode.Failure, err)
			return
		}
		p.syncTree(ctx, r, it)
	}
}

// syncTree syncs one tree and records the outcome in the state.
func (p *Pass) syncTree(ctx context.Context, r *run, it item) {
	log := p.d.Log.With("tree", it.tree)
	t := r.st.Tree(it.tree)
	t.LastAttempt = p.d.Now().Unix()
	log.Info("syncing", "reason", it.why, "local", it.local, "signal", it.want)
	code, err := p.trySources(ctx, log, it, t)
	if err != nil {
		t.LastError = err.Error()
		log.Error("tree not synced", "err", err, "exit", code)
		r.fail(code, fmt.Errorf("tree %s: %w", it.tree, err))
		return
	}
	if t.DeleteBaseline > 0 { // equivalent mutants: log only
		log.Info("delete guard baseline cleared: the tree synced", "baseline", t.DeleteBaseline)
	}
	t.LastSuccess, t.Stamp, t.LastError, t.DeleteBaseline = p.d.Now().Unix(), p.local(it.tree), "", 0
	r.synced = true
}

// trySources syncs from each source in turn until the local TIME reaches
// the signal. A source must pass the pre-flight before anything runs from
// it. It returns exitcode.Behind when some source was refused as behind (or
// synced without reaching the signal) and none was fresh, exitcode.Rsync
// when rsync failed for every source.
func (p *Pass) trySources(ctx context.Context, log *slog.Logger, it item, t *state.Tree) (int, error) {
	var failed, behind []string
	for _, src := range p.sources(ctx, log, it) {
		err := p.trySource(ctx, log, it, t, src)
		switch {
		case err == nil:
			return exitcode.OK, nil
		case ctx.Err() != nil:
			return exitcode.Failure, fmt.Errorf("stopped: %w", ctx.Err())
		case isBehind(err):
			log.Warn("source is behind the signal or has no TIME file; trying the next source", "source", src, "err", err)
			behind = append(behind, fmt.Sprintf("%s: %v", src, err))
		default:
			log.Warn("rsync from this source failed", "source", src, "err", err, "output", output(err))
			failed = append(failed, fmt.Sprintf("%s: %v", src, err))
		}
	}
	if len(behind) > 0 {
		return exitcode.Behind, fmt.Errorf("upstream still behind: no source reached TIME %d: %s%s",
			floor(it), strings.Join(behind, "; "), alsoFailed(failed))
	}
	return exitcode.Rsync, fmt.Errorf("rsync failed for every source: %s", strings.Join(failed, "; "))
}

// trySource runs the pre-flight, then the sync, then checks the local TIME.
func (p *Pass) trySource(ctx context.Context, log *slog.Logger, it item, t *state.Tree, src string) error {
	stamp, err := p.preflight(ctx, it.tree, src, floor(it))
	if err != nil {
		return err
	}
	log.Info("pre-flight passed", "source", src, "source_time", stamp, "need", floor(it))
	if err := p.rsyncTree(ctx, t, it.tree, src); err != nil {
		return err
	}
	local := p.local(it.tree)
	if local < it.want {
		return &behindError{msg: fmt.Sprintf("local TIME %d still below the signal %d after the sync", local, it.want)}
	}
	log.Info("tree synced", "source", src, "local", local)
	return nil
}

func alsoFailed(failed []string) string {
	if len(failed) == 0 { // equivalent mutants: message only
		return ""
	}
	return "; rsync failed for " + strings.Join(failed, "; ")
}

func output(err error) string {
	var ee *rsync.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return ""
}

// rsyncTree runs the one or two stages of a tree from src. The full stage
// carries --max-delete from the tree's entries counted before stage one
// and t's baseline (guard.go).
// When the full stage fails, the TIME file it may have put in place is
// undone (see savedTime).
func (p *Pass) rsyncTree(ctx context.Context, t *state.Tree, tree, src string) error {
	g, err := p.guard(tree, t.DeleteBaseline)
	if err != nil {
		return err
	}
	old, err := saveTime(filepath.Join(p.d.Config.Trees[tree].Path, p.d.Config.Trees[tree].TimeFile))
	if err != nil {
		return err
	}
	tc, sc := p.d.Config.Trees[tree], p.d.Config.Sync
	j := rsync.Job{
		Source: src, Dest: tc.Path, TimeFile: tc.TimeFile,
		Excludes: tc.Excludes, Metadata: tc.Metadata, Options: sc.Options, MaxDelete: g.limit,
		ConnectTimeout: sc.ConnectTimeout.D(), IOTimeout: sc.IOTimeout.D(),
	}
	if tc.TwoStage {
		j.Stage = rsync.Packages
		if err := p.d.Rsync.Run(ctx, j); err != nil {
			return fmt.Errorf("stage packages: %w", err)
		}
	}
	if err := p.d.Rsync.Run(ctx, g.full(j)); err != nil {
		if rerr := old.restore(); rerr != nil { // equivalent mutant: Join(err, nil) is err; only the message changes
			err = errors.Join(err, rerr)
		}
		return g.refused(err, t)
	}
	return nil
}

// sources returns the advised sources (verified, allow-listed) followed by
// the configured ones, or only the configured ones when there is no usable
// advice.
func (p *Pass) sources(ctx context.Context, log *slog.Logger, it item) []string {
	configured := p.d.Config.Trees[it.tree].Sources
	if p.d.Advice == nil {
		return configured
	}
	res, err := p.d.Advice.Fetch(ctx, it.tree, it.want)
	if err != nil {
		log.Warn("sync-source advice not used; using the configured sources", "err", err)
		return configured
	}
	if len(res.Dropped) > 0 { // equivalent mutants: log only
		log.Warn("advised sources not on sync_sources.allow were dropped", "dropped", res.Dropped)
	}
	out := slices.Clone(res.Sources)
	for _, s := range configured {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	log.Info("using sync-source advice", "sources", out)
	return out
}

// checkin reports the local stamps of all trees after a round that synced
// something. A failed check-in is only a warning: it is a hint to the server.
func (p *Pass) checkin(ctx context.Context, r *run) {
	if p.d.Checkin == nil || !r.synced {
		return
	}
	r.synced = false
	trees := map[string]int64{}
	for _, tree := range p.d.Config.TreeNames() {
		trees[tree] = p.local(tree)
	}
	if err := p.d.Checkin.Send(ctx, p.d.Config.Mirror, trees); err != nil { // equivalent mutant: log only
		p.d.Log.Warn("check-in failed", "err", err)
		return
	}
	p.d.Log.Info("checked in", "trees", trees)
}
