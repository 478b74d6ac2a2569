package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/httpapi"
)

// publishTimeout bounds one publish request.
const publishTimeout = 30 * time.Second

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalctl publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration (for the HTTP address and token file)")
	url := fs.String("url", "", "signald base URL (default: http://<http.listen> from the config)")
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
	req := httpapi.PublishRequest{Tree: pos[0], Force: *force}
	if *at != "" {
		v, err := strconv.ParseInt(*at, 10, 64)
		if err != nil || v <= 0 {
			return usageError{fmt.Errorf("--at %q is not a positive Unix time in seconds", *at)}
		}
		req.At = v
	}
	if *url == "" || *tokenFile == "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		if *url == "" {
			*url = "http://" + cfg.HTTP.Listen
		}
		if *tokenFile == "" {
			*tokenFile = cfg.TokenPath()
		}
	}
	token, err := os.ReadFile(*tokenFile)
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	res, err := postPublish(ctx, *url, strings.TrimSpace(string(token)), req)
	if err != nil {
		return err
	}
	printPublish(stdout, res)
	return nil
}

func postPublish(ctx context.Context, base, token string, req httpapi.PublishRequest) (httpapi.PublishResponse, error) {
	var out httpapi.PublishResponse
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/api/v1/admin/publish", bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	hreq.Header.Set("Authorization", "Bearer "+token)
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("publish refused (%s): %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("publish: bad answer from signald: %w", err)
	}
	return out, nil
}

func printPublish(w io.Writer, r httpapi.PublishResponse) {
	when := time.Unix(r.Stamp, 0).UTC().Format(time.RFC3339)
	if r.Unchanged {
		fmt.Fprintf(w, "%s already at %d (%s); nothing changed, serial %d\n", r.Tree, r.Stamp, when, r.Serial)
		return
	}
	fmt.Fprintf(w, "published %s at %d (%s), was %d; serial %d, event %d\nsignal now %q\n", r.Tree, r.Stamp, when, r.Previous, r.Serial, r.Event, r.Record)
}
