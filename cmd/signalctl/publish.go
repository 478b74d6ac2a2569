package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// publishTimeout bounds one publish request.
const publishTimeout = 30 * time.Second

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o adminclient.Options
	fs.StringVar(&o.Config, "config", defaultConfig, "signald configuration (for the admin listener and token file)")
	fs.StringVar(&o.Socket, "socket", "", "signald's admin socket (default: admin.listen from the config)")
	fs.StringVar(&o.URL, "url", "", "signald's admin URL on loopback TCP, e.g. http://127.0.0.1:8081 (needs the token)")
	fs.StringVar(&o.TokenFile, "token-file", "", "admin token file (default: publish.token_file from the config)")
	at := fs.String("at", "", "Unix seconds to publish (default: now)")
	force := fs.Bool("force", false, "allow the timestamp to go backwards")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("publish takes exactly one TREE")}
	}
	req := apiv1.PublishRequest{Tree: pos[0], Force: *force}
	if req.At, err = parseAt(*at); err != nil {
		return err
	}
	c, err := adminclient.New(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	res, err := c.Publish(ctx, req)
	if err != nil {
		return err
	}
	adminclient.FormatPublish(stdout, res)
	return nil
}

// parseAt parses --at: empty (0, meaning now) or positive Unix seconds.
func parseAt(at string) (int64, error) {
	if at == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(at, 10, 64)
	if err != nil || v <= 0 {
		return 0, usageError{fmt.Errorf("--at %q is not a positive Unix time in seconds", at)}
	}
	return v, nil
}
