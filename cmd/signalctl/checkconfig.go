package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mirrorsignal/mirrorsignal/server/config"
)

func runCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", defaultConfig, "signald configuration file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if _, err := config.Load(*path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
