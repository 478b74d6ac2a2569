// Package prometheus_test checks the alerting rules operators load next to
// signald: promtool parses them, their unit tests pass, and every metric
// they use is one signald exports.
package prometheus_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func TestRulesCheck(t *testing.T) {
	promtool := testtool.Require(t, "promtool")[0]
	out, err := exec.Command(promtool, "check", "rules", "mirrorsignal.rules.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestRulesFire: promtool's rule unit tests (mirrorsignal.rules.test.yml)
// show each alert firing on the series that should raise it, and not on
// the others.
func TestRulesFire(t *testing.T) {
	promtool := testtool.Require(t, "promtool")[0]
	out, err := exec.Command(promtool, "test", "rules", "mirrorsignal.rules.test.yml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestRulesUseExportedMetrics: every mirrorsignal_* name in the rules is
// registered somewhere in server/ (a renamed metric would leave an alert
// that never fires).
func TestRulesUseExportedMetrics(t *testing.T) {
	rules, err := os.ReadFile("mirrorsignal.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	err = filepath.WalkDir(filepath.Join("..", "..", "server"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		src.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`mirrorsignal_[a-z0-9_]+`).FindAllString(string(rules), -1)
	if len(names) < 10 {
		t.Fatalf("only %d metric names found in the rules", len(names))
	}
	for _, name := range names {
		if !strings.Contains(src.String(), `"`+name+`"`) {
			t.Errorf("the rules use %s, which no server package registers", name)
		}
	}
}
