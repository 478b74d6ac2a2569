package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTableFromResults builds the table from the committed results: a row
// per DNS mode, the mirrorlist, the checker's sizes and memory, and the
// idle cost, each with its goal judged from the figures.
func TestTableFromResults(t *testing.T) {
	dir := t.TempDir()
	prop := filepath.Join(dir, "prop.json")
	os.WriteFile(prop, []byte(`{"date":"2026-12-02T01:00:00Z","mirrors":5,"poll_interval_seconds":10,"jitter_seconds":5,"fresh_after_seconds":[20,30,40,50]}`), 0o644)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-dns", "../../results/latest.json", "-checker", "../../results/checker-latest.json",
		"-mirrorlist", "../../results/mirrorlist-latest.json", "-idle", "../../results/idle-latest.json", "-propagation", prop,
		"-json", filepath.Join(dir, "t.json"), "-md", filepath.Join(dir, "t.md")}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	md := out.String()
	for _, want := range []string{"| DNS | queries/s, udp |", "| Mirrorlist |", "| Checker | one round of 200 mirrors", "peak RSS", "| Idle cost |",
		"| Propagation | publish → 50 / 80 / 100 % of 5 loopback mirrors fresh (poll 10s + jitter 5s) | 40s / 50s / not reached |"} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "t.md")); err != nil || string(b) != md {
		t.Errorf("markdown file: %v", err)
	}
}

func TestTableMissingAndBad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"summary": "x"}`), 0o644)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-dns", bad, "-json", filepath.Join(dir, "t.json"), "-md", filepath.Join(dir, "t.md")}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "bad.json") {
		t.Fatalf("a malformed result: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	none := filepath.Join(dir, "none.json")
	if code := run(context.Background(), []string{"-dns", none, "-checker", none, "-mirrorlist", none, "-idle", none, "-propagation", none,
		"-json", filepath.Join(dir, "t.json"), "-md", filepath.Join(dir, "t.md")}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "Missing: "+none) {
		t.Fatalf("missing results: exit %d\n%s", code, out.String())
	}
}

func TestCellEscapes(t *testing.T) {
	if got := cell("a|b\n<c>"); got != `a\|b &lt;c&gt;` {
		t.Fatal(got)
	}
}
