package publish

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/plant"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/push"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
)

// ConfigTrees are the masters of signald.toml's [[trees]] and the tier-1
// hosts of the mirror list in use (nil: none).
type ConfigTrees struct {
	cfg      *config.Config
	masters  map[string][]Planter
	fleet    *mirrors.Current
	timeFile string
}

// NewConfigTrees builds the planters of every tree's masters.
func NewConfigTrees(cfg *config.Config, fleet *mirrors.Current) *ConfigTrees {
	t := &ConfigTrees{cfg: cfg, masters: map[string][]Planter{}, fleet: fleet, timeFile: cfg.Publish.TimeFile}
	for _, tree := range cfg.Trees {
		for _, m := range tree.Masters {
			t.masters[tree.Name] = append(t.masters[tree.Name], planterOf(cfg, m))
		}
	}
	return t
}

func planterOf(cfg *config.Config, m config.Master) Planter {
	if m.SFTP == "" {
		return plant.Local(m.Dir)
	}
	user, addr, _ := config.SFTPUserHost(m.SFTP) // validated
	return plant.SFTP(sshdial.Config{Addr: addr, User: user, IdentityFile: cfg.StatePath(m.IdentityFile),
		KnownHostsFile: cfg.StatePath(m.KnownHosts), Timeout: m.Timeout.Duration}, m.Dir)
}

// Masters returns where tree's TIME file is planted.
func (t *ConfigTrees) Masters(tree string) []Planter { return t.masters[tree] }

// tier1Protocols is the order in which a tier-1 host's TIME is fetched:
// the first protocol it offers.
var tier1Protocols = []mirrors.Protocol{mirrors.HTTPS, mirrors.HTTP, mirrors.Rsync}

// Tier1 returns the tier-1 hosts carrying tree, each with the URL of its
// TIME file.
func (t *ConfigTrees) Tier1(tree string) []Host {
	if t.fleet == nil {
		return nil
	}
	var out []Host
	for _, m := range t.fleet.Fleet().Tier1(tree) {
		for _, p := range tier1Protocols {
			if u, ok := m.TimeURL(tree, p, t.timeFile); ok {
				out = append(out, Host{Name: m.Name(), URL: u})
				break
			}
		}
	}
	return out
}

// Need applies tree's quorum to total hosts.
func (t *ConfigTrees) Need(tree string, total int) int {
	i := slices.IndexFunc(t.cfg.Trees, func(x config.Tree) bool { return x.Name == tree })
	if i < 0 {
		return total
	}
	return t.cfg.Trees[i].Need(total)
}

// ProbeFetcher reads a TIME file with a Prober.
type ProbeFetcher struct{ Prober *probe.Prober }

// Fetch returns the TIME url serves.
func (f ProbeFetcher) Fetch(ctx context.Context, url string) (int64, error) {
	r := f.Prober.Fetch(ctx, url, probe.Any)
	return r.Stamp, r.Err
}

// PushTriggers returns the Push hook of the [push] config: after a commit
// of a tree, every target that opted in for it is triggered.
func PushTriggers(cfg *config.Config, p *push.Pusher, log *slog.Logger) func(context.Context, string) {
	ps := cfg.Push
	return func(ctx context.Context, tree string) {
		var targets []push.Target
		for _, t := range ps.Targets {
			if len(t.Trees) > 0 && !slices.Contains(t.Trees, tree) {
				continue
			}
			targets = append(targets, push.Target{Name: t.Name, Timeout: ps.Timeout.Duration, SSH: sshdial.Config{
				Addr: t.Address, User: t.User, IdentityFile: filepath.Clean(cfg.StatePath(ps.IdentityFile)),
				KnownHostsFile: cfg.StatePath(ps.KnownHosts), Timeout: ps.Timeout.Duration}})
		}
		for _, r := range p.Run(ctx, targets, ps.Concurrency) {
			if r.Err != nil {
				log.Warn("push trigger failed", "mirror", r.Name, "err", r.Err, "output", r.Output)
			}
		}
	}
}
