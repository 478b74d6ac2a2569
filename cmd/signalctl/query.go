package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/sigquery"
)

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration (for defaults of --server and --name)")
	server := fs.String("server", "", "DNS server HOST:PORT to ask (default: dns.listen from the config)")
	name := fs.String("name", "", "signal name (default: zone.signal_name from the config)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if *server == "" || *name == "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		*server, *name = or(*server, cfg.DNS.Listen), or(*name, cfg.Zone.SignalName)
	}
	res, err := sigquery.Query(ctx, *server, *name)
	if err != nil {
		return err
	}
	return sigquery.Render(stdout, res, time.Now())
}
