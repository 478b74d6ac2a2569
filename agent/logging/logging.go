// Package logging builds the agent's slog logger: records at log.level and
// above go to log.file (when set), records at log.stderr_level (default
// error) and above go to stderr, so that cron mails only errors.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
)

// New returns the logger and a function that closes the log file.
// stderrLevel, when not empty, overrides log.stderr_level.
func New(c config.Log, stderr io.Writer, stderrLevel string) (*slog.Logger, func() error, error) {
	if stderrLevel == "" {
		stderrLevel = c.StderrLevel
	}
	errLevel, err := config.ParseLevel(stderrLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("stderr level: %w", err)
	}
	handlers := []slog.Handler{handler(c.Format, stderr, errLevel)}
	closer := func() error { return nil }
	if c.File != "" {
		level, err := config.ParseLevel(c.Level)
		if err != nil {
			return nil, nil, fmt.Errorf("log.level: %w", err)
		}
		f, err := open(c.File)
		if err != nil {
			return nil, nil, err
		}
		handlers = append(handlers, handler(c.Format, f, level))
		closer = f.Close
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer, nil
}

func handler(format string, w io.Writer, level slog.Level) slog.Handler {
	o := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, o)
	}
	return slog.NewTextHandler(w, o)
}

func open(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log.file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log.file: %w", err)
	}
	return f, nil
}
