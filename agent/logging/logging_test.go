package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
)

func TestOnlyErrorsOnStderr(t *testing.T) {
	file := filepath.Join(t.TempDir(), "log", "agent.log")
	var stderr bytes.Buffer
	log, closeLog, err := New(config.Log{File: file, Level: "info", StderrLevel: "error", Format: "text"}, &stderr, "")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Error("loud")
	closeLog()
	if s := stderr.String(); strings.Contains(s, "quiet") || !strings.Contains(s, "loud") {
		t.Fatalf("stderr %q", s)
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), "quiet") || !strings.Contains(string(b), "loud") {
		t.Fatalf("file %q", b)
	}
}
