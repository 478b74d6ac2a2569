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

// requestTimeout bounds one request to signald.
const requestTimeout = 30 * time.Second

// followInterval is how often a publish in progress is polled.
const followInterval = 500 * time.Millisecond

// errNotCommitted is a publish that ended without a commit (exit 1).
var errNotCommitted = errors.New("not committed; DNS unchanged")

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
	noWait := fs.Bool("no-wait", false, "return once signald has accepted the publish; do not follow it")
	cancelID := fs.Int64("cancel", 0, "cancel the pending publish with this id (no TREE)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *cancelID != 0 {
		if len(pos) != 0 || *cancelID < 0 {
			return usageError{errors.New("publish --cancel takes a positive ID and no TREE")}
		}
		return cancelPublish(ctx, o, *cancelID, stdout)
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
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	res, err := c.Publish(rctx, req)
	cancel()
	if err != nil {
		return err
	}
	if !adminclient.Ended(res) {
		if *noWait {
			fmt.Fprintf(stdout, "publish %d of %s accepted (%s); signald goes on with it\n", res.ID, res.Tree, res.State)
			return nil
		}
		show := func(p apiv1.Publish) { adminclient.FormatProgress(stdout, p, time.Now()) }
		if res, err = c.Follow(ctx, res, followInterval, show); err != nil {
			return err
		}
	}
	adminclient.FormatPublish(stdout, res)
	if !res.Unchanged && res.State != "committed" {
		return fmt.Errorf("publish %d %s: %w", res.ID, res.State, errNotCommitted)
	}
	return nil
}

func cancelPublish(ctx context.Context, o adminclient.Options, id int64, stdout io.Writer) error {
	c, err := adminclient.New(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	p, err := c.Cancel(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "publish %d of %s at %d: %s; DNS unchanged\n", p.ID, p.Tree, p.Stamp, p.State)
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
