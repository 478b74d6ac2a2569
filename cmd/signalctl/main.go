// Command signalctl is the operator's CLI for mirrorsignal: publish a tree,
// query the signal, validate a configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// version is stamped by the Makefile with -ldflags.
var version = "dev"

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1
	exitUsage  = 2
	exitConfig = 78
)

const defaultConfig = "/etc/mirrorsignal/signald.toml"

type usageError struct{ error }

// pluginExit carries a Nagios plugin exit code (check); its report has
// been printed.
type pluginExit struct{ code int }

func (p pluginExit) Error() string { return fmt.Sprintf("exit %d", p.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var pe pluginExit
	if errors.As(err, &pe) {
		return pe.code // the plugin's output is on stdout already
	}
	fmt.Fprintln(stderr, "signalctl:", err)
	var ue usageError
	var ce *config.Error
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce):
		return exitConfig
	default:
		return exitFail
	}
}

const usage = `usage: signalctl COMMAND [flags] [args]

commands:
  publish TREE [--at EPOCH] [--force] [--no-wait]
                                        publish a tree through the running signald and
                                        follow it (plant, tier-1 gate, commit); exit 0
                                        committed, 1 failed or timed out (DNS unchanged)
  publish --cancel ID                   cancel a pending publish
  query [--server ADDR] [--name NAME]   fetch, check and print the signal
  keys generate|ds|list                 manage DNSSEC keys, print DS for the parent
  check NAME | check URL --tree T       one-off probe of a mirror of mirrors.toml, or of a
                                        tree's base URL, against the signal; Nagios exit
                                        codes: 0 fresh, 1 behind, 2 unreachable or error,
                                        3 unknown
  nagios --url URL --mirror NAME [-w 3h] [-c 12h] [-t SECONDS]
  nagios --url URL --network [-w 90] [-c 75] [--tree T]
                                        Nagios/Icinga plugin over signald's JSON API: one
                                        mirror's lag per tree, or the share of fresh
                                        mirrors per tree; 0 OK, 1 WARNING, 2 CRITICAL,
                                        3 UNKNOWN (signald unreachable, unknown mirror)
  check-config [--config FILE]          validate a signald configuration
  version                               print the version
Run 'signalctl COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "publish":
		return runPublish(ctx, rest, stdout, stderr)
	case "query":
		return runQuery(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(rest, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "nagios":
		return runNagios(ctx, rest, stdout, stderr)
	case "check-config":
		return runCheckConfig(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "signalctl", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Errorf("unknown command %q", cmd)}
	}
}

// parseInterleaved parses flags that may stand before or after positional
// arguments, as in `signalctl publish content --at 1488372781`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
