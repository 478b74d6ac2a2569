package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/sigquery"
	"github.com/mirrorsignal/mirrorsignal/server/spotcheck"
)

// runCheck probes one mirror (by name, from mirrors.toml) or one tree's
// base URL against the signal signald serves, and exits as a Nagios
// plugin. Problems before any probe (usage, config, no signal) exit 3.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration (signal server and name, mirrors_file, time_file)")
	tree := fs.String("tree", "", "the tree a URL is the base of; with NAME, check only this tree")
	timeout := fs.Duration("timeout", probe.DefaultTimeout, "per probe")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return unknown(stdout, err)
	}
	if len(pos) != 1 {
		return unknown(stdout, usageError{errors.New("check takes one mirror NAME or URL")})
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return unknown(stdout, err)
	}
	sig, err := sigquery.Query(ctx, cfg.DNS.Listen, cfg.Zone.SignalName)
	if err != nil {
		return unknown(stdout, fmt.Errorf("no signal to compare with: %w", err))
	}
	targets, err := checkTargets(&cfg, pos[0], *tree)
	if err != nil {
		return unknown(stdout, err)
	}
	p, err := probe.New(probe.Config{Version: version, Timeout: *timeout})
	if err != nil {
		return unknown(stdout, err)
	}
	signals := map[string]int64{}
	for i, t := range sig.Record.Layout {
		signals[t] = sig.Record.Stamps[i]
	}
	r := spotcheck.Check(ctx, p, pos[0], targets, signals)
	spotcheck.Render(stdout, r)
	return pluginExit{r.Exit()}
}

func checkTargets(cfg *config.Config, arg, tree string) ([]spotcheck.Target, error) {
	timeFile := cfg.Publish.TimeFile
	if strings.Contains(arg, "://") {
		if cfg.Layout().Index(tree) < 0 {
			return nil, usageError{fmt.Errorf("check URL needs --tree, one of %s", cfg.Layout())}
		}
		t, err := spotcheck.URLTarget(arg, tree, timeFile)
		return []spotcheck.Target{t}, err
	}
	path := cfg.MirrorsPath()
	if path == "" {
		return nil, &config.Error{Key: "publish.mirrors_file", Reason: "no mirrors.toml configured to find " + arg + " in"}
	}
	fleet, err := mirrors.Load(path, cfg.Layout())
	if err != nil {
		return nil, err
	}
	m, ok := fleet.Mirror(arg)
	if !ok {
		return nil, fmt.Errorf("no mirror %q in %s", arg, path)
	}
	var trees []string
	if tree != "" {
		if !m.Carries(tree) {
			return nil, fmt.Errorf("mirror %s does not carry %q", arg, tree)
		}
		trees = []string{tree}
	}
	return spotcheck.MirrorTargets(m, trees, timeFile), nil
}

// unknown reports a check that could not run: Nagios UNKNOWN (3).
func unknown(stdout io.Writer, err error) error {
	fmt.Fprintf(stdout, "MIRROR UNKNOWN - %v\n", err)
	return pluginExit{spotcheck.NagiosUnknown}
}
