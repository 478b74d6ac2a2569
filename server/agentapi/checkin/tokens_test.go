package checkin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestReadTokens(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := map[string]string{
		"good":    write("good", "  0123456789abcdef0123\n"),
		"short":   write("short", "tiny-secret\n"),
		"missing": filepath.Join(dir, "absent"),
	}
	toks, err := ReadTokens(files)
	if string(toks["good"]) != "0123456789abcdef0123" || len(toks) != 1 {
		t.Fatalf("tokens %q", toks)
	}
	if err == nil || !strings.Contains(err.Error(), "mirror missing") || !strings.Contains(err.Error(), "mirror short") {
		t.Fatalf("error %v does not name both bad files", err)
	}
	if strings.Contains(err.Error(), "tiny-secret") {
		t.Fatal("error shows a secret")
	}

	var set Tokens
	if _, ok := set.Get("good"); ok {
		t.Fatal("zero Tokens holds a token")
	}
	set.Set(toks)
	toks["good"] = []byte("changed")
	if tok, ok := set.Get("good"); !ok || string(tok) != "0123456789abcdef0123" {
		t.Fatalf("Get = %q %v", tok, ok)
	}
	set.Set(nil)
	if _, ok := set.Get("good"); ok {
		t.Fatal("reload did not drop the token")
	}
}

func TestTokenFiles(t *testing.T) {
	const doc = `
[[mirror]]
name = "a.example.net"
country = "DE"
checkin_token_file = "/etc/signald/checkin/a"
[mirror.trees.content]
https = "https://a.example.net/centos/"

[[mirror]]
name = "b.example.net"
country = "DE"
[mirror.trees.content]
https = "https://b.example.net/centos/"
`
	fleet, err := mirrors.Parse("mirrors.toml", []byte(doc), signal.Layout{"content"})
	if err != nil {
		t.Fatal(err)
	}
	got := TokenFiles(fleet.Mirrors())
	if len(got) != 1 || got["a.example.net"] != "/etc/signald/checkin/a" {
		t.Fatalf("TokenFiles = %v", got)
	}
}
