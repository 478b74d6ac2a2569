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
	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// publishTimeout bounds one publish request.
const publishTimeout = 30 * time.Second

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration (for the admin listener and token file)")
	socket := fs.String("socket", "", "signald's admin socket (default: admin.listen from the config)")
	url := fs.String("url", "", "signald's admin URL on loopback TCP, e.g. http://127.0.0.1:8081 (needs the token)")
	tokenFile := fs.String("token-file", "", "admin token file (default: publish.token_file from the config)")
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
	if *at != "" {
		v, err := strconv.ParseInt(*at, 10, 64)
		if err != nil || v <= 0 {
			return usageError{fmt.Errorf("--at %q is not a positive Unix time in seconds", *at)}
		}
		req.At = v
	}
	c, err := adminClient(*cfgPath, *socket, *url, *tokenFile)
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

// adminClient picks the admin listener: --socket, --url, or what the
// config names. The token comes from --token-file, else (for TCP) from the
// config's publish.token_file; on a socket it is sent only when given.
func adminClient(cfgPath, socket, url, tokenFile string) (*adminclient.Client, error) {
	c, err := adminTarget(cfgPath, socket, url, tokenFile)
	if err != nil || tokenFile == "" {
		return c, err
	}
	tok, err := adminclient.ReadToken(tokenFile)
	if err != nil {
		return nil, err
	}
	return c.WithToken(tok), nil
}

func adminTarget(cfgPath, socket, url, tokenFile string) (*adminclient.Client, error) {
	switch {
	case socket != "":
		return adminclient.Socket(socket), nil
	case url != "" && tokenFile != "":
		return adminclient.TCP(url, ""), nil
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if url == "" {
		return adminclient.FromConfig(&cfg)
	}
	tok, err := adminclient.ReadToken(cfg.TokenPath())
	if err != nil {
		return nil, err
	}
	return adminclient.TCP(url, tok), nil
}
