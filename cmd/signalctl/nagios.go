package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// Nagios plugin states (https://nagios-plugins.org/doc/guidelines.html).
const (
	nagiosOK       = 0
	nagiosWarning  = 1
	nagiosCritical = 2
	nagiosUnknown  = 3
)

var nagiosNames = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// maxAPIBody caps what the plugin reads from signald (10 000 mirrors fit).
const maxAPIBody = 64 << 20

// worse reports whether state a is worse than b: CRITICAL, then WARNING,
// then UNKNOWN, then OK.
func worse(a, b int) bool {
	rank := [...]int{0, 2, 3, 1}
	return rank[a] > rank[b]
}

// nagiosResult is one plugin run: the status line's text and perfdata.
type nagiosResult struct {
	state int
	parts []string // summary pieces
	perf  []string // 'label'=value[UOM];warn;crit;min;max
}

func (r *nagiosResult) add(state int, part string) {
	if worse(state, r.state) {
		r.state = state
	}
	r.parts = append(r.parts, part)
}

// render prints the one status line and returns the exit code.
func (r nagiosResult) render(w io.Writer) error {
	line := "MIRRORSIGNAL " + nagiosNames[r.state] + " - " + strings.Join(r.parts, ", ")
	if len(r.perf) > 0 {
		line += " | " + strings.Join(r.perf, " ")
	}
	fmt.Fprintln(w, line)
	return pluginExit{r.state}
}

// pluginUnknown reports a check that could not be made: UNKNOWN.
func pluginUnknown(w io.Writer, format string, args ...any) error {
	return nagiosResult{state: nagiosUnknown, parts: []string{clean(fmt.Sprintf(format, args...))}}.render(w)
}

// runNagios is a Nagios/Icinga plugin reading signald's JSON API. With
// --mirror it checks each tree's lag on one mirror against -w/-c
// (durations); with --network, the share of fresh mirrors per tree
// against -w/-c (percentages). Every failure to get the data from signald
// (timeout, connection, HTTP status, unknown mirror, bad JSON) is UNKNOWN:
// signald is the plugin's source, not the service checked.
func runNagios(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl nagios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "signald's public HTTP base URL")
	mirror := fs.String("mirror", "", "check this mirror's lag per tree")
	network := fs.Bool("network", false, "check the share of fresh mirrors per tree")
	tree := fs.String("tree", "", "check only this tree")
	warn := fs.String("w", "", "warning threshold: a lag (3h, 10800) with --mirror, a fresh percentage (90) with --network")
	crit := fs.String("c", "", "critical threshold: as -w")
	timeout := fs.Int("t", 10, "timeout in seconds")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return pluginUnknown(stdout, "%v", err)
	}
	switch {
	case len(pos) > 0:
		return pluginUnknown(stdout, "unexpected argument %q", pos[0])
	case (*mirror == "") == !*network:
		return pluginUnknown(stdout, "give either --mirror NAME or --network")
	case *timeout < 1 || *timeout > 3600:
		return pluginUnknown(stdout, "-t %d: the timeout must be 1 to 3600 seconds", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(*timeout)*time.Second)
	defer cancel()
	c := apiClient{base: strings.TrimRight(*base, "/"), timeout: *timeout}
	if *network {
		w, cr, err := percentThresholds(*warn, *crit)
		if err != nil {
			return pluginUnknown(stdout, "%v", err)
		}
		return checkNetwork(ctx, c, *tree, w, cr).render(stdout)
	}
	w, cr, err := lagThresholds(*warn, *crit)
	if err != nil {
		return pluginUnknown(stdout, "%v", err)
	}
	return checkMirror(ctx, c, *mirror, *tree, w, cr).render(stdout)
}

// lagThresholds parses -w and -c as lags (Go durations or seconds);
// defaults 3h and 12h.
func lagThresholds(w, c string) (warn, crit int64, err error) {
	parse := func(flag, s string, def int64) (int64, error) {
		if s == "" {
			return def, nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			return n, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("-%s %q is not a lag (e.g. 3h or 10800)", flag, s)
		}
		return int64(d / time.Second), nil
	}
	if warn, err = parse("w", w, 3*3600); err != nil {
		return 0, 0, err
	}
	if crit, err = parse("c", c, 12*3600); err != nil {
		return 0, 0, err
	}
	if warn > crit {
		return 0, 0, fmt.Errorf("-w %ds is above -c %ds", warn, crit)
	}
	return warn, crit, nil
}

// percentThresholds parses -w and -c as fresh percentages; defaults 90
// and 75.
func percentThresholds(w, c string) (warn, crit float64, err error) {
	parse := func(flag, s string, def float64) (float64, error) {
		if s == "" {
			return def, nil
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || v < 0 || v > 100 {
			return 0, fmt.Errorf("-%s %q is not a percentage from 0 to 100", flag, s)
		}
		return v, nil
	}
	if warn, err = parse("w", w, 90); err != nil {
		return 0, 0, err
	}
	if crit, err = parse("c", c, 75); err != nil {
		return 0, 0, err
	}
	if crit > warn {
		return 0, 0, fmt.Errorf("-c %g%% is above -w %g%% (fewer fresh mirrors is worse)", crit, warn)
	}
	return warn, crit, nil
}

// checkMirror rates each tree of one mirror: fresh OK; behind by its lag
// against the thresholds; inconsistent (a half-synced tree) WARNING;
// error or unreachable CRITICAL; not probed yet UNKNOWN. The worst wins.
func checkMirror(ctx context.Context, c apiClient, name, tree string, warn, crit int64) nagiosResult {
	var m apiv1.Mirror
	if err := c.get(ctx, apiv1.PathMirrors+"/"+url.PathEscape(name), &m); err != nil {
		return nagiosResult{state: nagiosUnknown, parts: []string{clean(err.Error())}}
	}
	r := nagiosResult{parts: []string{clean(m.Name)}}
	checked := 0
	for _, t := range m.Trees {
		if tree != "" && t.Tree != tree {
			continue
		}
		checked++
		state, text := rateTree(t, warn, crit)
		r.add(state, clean(t.Tree)+" "+text)
		r.perf = append(r.perf, fmt.Sprintf("%s=%ds;%d;%d;0;", perfLabel(t.Tree+"_lag"), t.LagSeconds, warn, crit))
	}
	if checked == 0 {
		r.add(nagiosUnknown, "carries no tree "+strconv.Quote(tree))
	}
	return r
}

func rateTree(t apiv1.MirrorTree, warn, crit int64) (int, string) {
	lag := time.Duration(t.LagSeconds) * time.Second
	switch t.State {
	case "fresh":
		return nagiosOK, "fresh"
	case "behind":
		state := nagiosOK
		switch {
		case t.LagSeconds >= crit:
			state = nagiosCritical
		case t.LagSeconds >= warn:
			state = nagiosWarning
		}
		return state, "behind " + lag.String()
	case "inconsistent":
		return nagiosWarning, "inconsistent (TIME fresh, repodata not)"
	case "error", "unreachable":
		text := t.State
		if t.Error != "" {
			text += " (" + clean(t.Error) + ")"
		}
		return nagiosCritical, text
	}
	return nagiosUnknown, "not checked yet"
}

// checkNetwork rates each tree by the share of the mirrors carrying it
// that are fresh: below -w WARNING, below -c CRITICAL.
func checkNetwork(ctx context.Context, c apiClient, tree string, warn, crit float64) nagiosResult {
	path := apiv1.PathMirrors
	if tree != "" {
		path += "?" + apiv1.ParamTree + "=" + url.QueryEscape(tree)
	}
	var ms apiv1.Mirrors
	if err := c.get(ctx, path, &ms); err != nil {
		return nagiosResult{state: nagiosUnknown, parts: []string{clean(err.Error())}}
	}
	var r nagiosResult
	for _, t := range ms.Trees {
		if t.Carrying == 0 {
			r.add(nagiosOK, clean(t.Name)+" carried by no mirror")
			continue
		}
		state := nagiosOK
		switch {
		case t.FreshPercent < crit:
			state = nagiosCritical
		case t.FreshPercent < warn:
			state = nagiosWarning
		}
		r.add(state, fmt.Sprintf("%s %g%% fresh (%d/%d)", clean(t.Name), t.FreshPercent, t.Counts["fresh"], t.Carrying))
		r.perf = append(r.perf, fmt.Sprintf("%s=%g%%;%g:;%g:;0;100", perfLabel(t.Name+"_fresh"), t.FreshPercent, warn, crit))
	}
	if len(ms.Trees) == 0 {
		r.add(nagiosUnknown, "signald reports no trees yet")
	}
	return r
}

// apiClient reads signald's JSON API.
type apiClient struct {
	base    string
	timeout int
}

func (c apiClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("bad --url: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("timeout after %ds asking %s", c.timeout, c.base)
		}
		return fmt.Errorf("cannot ask %s: %v", c.base, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxAPIBody)
	if resp.StatusCode != http.StatusOK {
		var e apiv1.Error
		reason := resp.Status
		if json.NewDecoder(io.LimitReader(body, 4096)).Decode(&e) == nil && e.Error != "" {
			reason += ": " + e.Error
		}
		return fmt.Errorf("signald answered %s for %s", reason, path)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("timeout after %ds reading %s", c.timeout, path)
		}
		return fmt.Errorf("bad JSON from %s: %v", path, err)
	}
	return nil
}

// clean makes text safe for the status line: no control characters, no
// "|" (which starts the perfdata), at most 200 bytes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '|' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// perfLabel quotes a perfdata label, doubling single quotes and dropping
// "=" as the guidelines require.
func perfLabel(s string) string {
	s = strings.NewReplacer("'", "''", "=", "_").Replace(clean(s))
	return "'" + s + "'"
}
