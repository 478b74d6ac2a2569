package mirrors

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// entry wraps body (the lines after name) in a [[mirror]] called m1.
func entry(body string) string {
	return "[[mirror]]\nname = \"m1.example.net\"\n" + body
}

// ok is the rest of a valid mirror.
const ok = "country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://m1.example.net/\"\n"

const repoOK = "[[repo]]\nname = \"baseos\"\ntree = \"content\"\npath = \"9/BaseOS/$arch/os/\"\narches = [\"x86_64\"]\n"

func TestParseErrors(t *testing.T) {
	const m1 = `mirror "m1.example.net"`
	tests := []struct {
		name, doc, entry, key string
	}{
		{"toml syntax", "[[mirror]\n", "", ""},
		{"unknown top key", "colour = 1\n" + entry(ok), "", "colour"},
		{"mirror not array", "mirror = 1\n", "", "mirror"},
		{"unknown mirror key", entry("colour = 1\n" + ok), m1, "colour"},
		{"unknown tree key", entry(ok + "htps = \"https://x/\"\n"), m1, "trees.content.htps"},
		{"name missing", "[[mirror]]\n" + ok, "mirror[0]", "name"},
		{"name wrong type", "[[mirror]]\nname = 5\n" + ok, "mirror[0]", "name"},
		{"name upper case", "[[mirror]]\nname = \"M1.example.net\"\n" + ok, "mirror[0]", "name"},
		{"name bad label", "[[mirror]]\nname = \"-m1.example.net\"\n" + ok, "mirror[0]", "name"},
		{"name empty label", "[[mirror]]\nname = \"m1..example.net\"\n" + ok, "mirror[0]", "name"},
		{"name trailing dot", "[[mirror]]\nname = \"m1.example.net.\"\n" + ok, "mirror[0]", "name"},
		{"name duplicate", entry(ok) + entry(ok), "mirror[1]", "name"},
		{"country missing", entry("[mirror.trees.content]\nhttps = \"https://x/\"\n"), m1, "country"},
		{"country lower case", entry("country = \"de\"\n[mirror.trees.content]\nhttps = \"https://x/\"\n"), m1, "country"},
		{"country unknown", entry("country = \"UK\"\n[mirror.trees.content]\nhttps = \"https://x/\"\n"), m1, "country"},
		{"continent", entry("continent = \"Europe\"\n" + ok), m1, "continent"},
		{"tier 0", entry("tier = 0\n" + ok), m1, "tier"},
		{"tier 3", entry("tier = 3\n" + ok), m1, "tier"},
		{"tier string", entry("tier = \"1\"\n" + ok), m1, "tier"},
		{"sync_source type", entry("sync_source = \"yes\"\n" + ok), m1, "sync_source"},
		{"sync_source without rsync", entry("sync_source = true\n" + ok), m1, "sync_source"},
		{"bandwidth negative", entry("bandwidth = -1\n" + ok), m1, "bandwidth"},
		{"bandwidth huge", entry("bandwidth = 9223372036854775807\n" + ok), m1, "bandwidth"},
		{"bandwidth float", entry("bandwidth = 1.5\n" + ok), m1, "bandwidth"},
		{"netblock bad", entry("netblocks = [\"192.0.2.0/24\", \"192.0.2.300/24\"]\n" + ok), m1, "netblocks[1]"},
		{"netblock address", entry("netblocks = [\"192.0.2.1\"]\n" + ok), m1, "netblocks[0]"},
		{"netblock twice", entry("netblocks = [\"192.0.2.0/24\", \"192.0.2.9/24\"]\n" + ok), m1, "netblocks[1]"},
		{"netblocks not array", entry("netblocks = \"192.0.2.0/24\"\n" + ok), m1, "netblocks"},
		{"netblocks element type", entry("netblocks = [1]\n" + ok), m1, "netblocks[0]"},
		{"family unknown", entry("families = [\"ipv5\"]\n" + ok), m1, "families[0]"},
		{"family twice", entry("families = [\"ipv4\", \"ipv4\"]\n" + ok), m1, "families[1]"},
		{"admin", entry("admin = \"nobody\"\n" + ok), m1, "admin"},
		{"admin mailto", entry("admin = \"mailto:nobody\"\n" + ok), m1, "admin"},
		{"admin ftp", entry("admin = \"ftp://example.net/\"\n" + ok), m1, "admin"},
		{"token file dir", entry("checkin_token_file = \"/etc/\"\n" + ok), m1, "checkin_token_file"},
		{"no trees", entry("country = \"DE\"\n"), m1, "trees"},
		{"trees not table", entry("country = \"DE\"\ntrees = 1\n"), m1, "trees"},
		{"tree not table", entry("country = \"DE\"\ntrees = { content = 1 }\n"), m1, "trees.content"},
		{"tree empty", entry("country = \"DE\"\n[mirror.trees.content]\n"), m1, "trees.content"},
		{"tree not in layout", entry(ok + "[mirror.trees.debian]\nhttps = \"https://x/\"\n"), m1, "trees.debian"},
		{"https is ftp", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"ftp://x\"\n"), m1, "trees.content.https"},
		{"http is https", entry("country = \"DE\"\n[mirror.trees.content]\nhttp = \"https://x/\"\n"), m1, "trees.content.http"},
		{"rsync is http", entry("country = \"DE\"\n[mirror.trees.content]\nrsync = \"http://x/\"\n"), m1, "trees.content.rsync"},
		{"url relative", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"/centos/\"\n"), m1, "trees.content.https"},
		{"url no host", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https:///centos/\"\n"), m1, "trees.content.https"},
		{"url opaque", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https:x\"\n"), m1, "trees.content.https"},
		{"url userinfo", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://u:p@x/\"\n"), m1, "trees.content.https"},
		{"url query", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://x/?a=1\"\n"), m1, "trees.content.https"},
		{"url empty query", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://x/?\"\n"), m1, "trees.content.https"},
		{"url fragment", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://x/#f\"\n"), m1, "trees.content.https"},
		{"url unparsable", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = \"https://x y/\"\n"), m1, "trees.content.https"},
		{"url type", entry("country = \"DE\"\n[mirror.trees.content]\nhttps = 1\nhttp = \"http://x/\"\n"), m1, "trees.content.https"},
		{"unknown repo key", entry(ok) + repoOK + "colour = 1\n", `repo "baseos"`, "colour"},
		{"repo name missing", entry(ok) + "[[repo]]\ntree = \"content\"\npath = \"p/\"\narches = [\"x86_64\"]\n", "repo[0]", "name"},
		{"repo name bad", entry(ok) + "[[repo]]\nname = \"base os\"\ntree = \"content\"\npath = \"p/\"\narches = [\"x86_64\"]\n", "repo[0]", "name"},
		{"repo name twice", entry(ok) + repoOK + repoOK, "repo[1]", "name"},
		{"repo tree missing", entry(ok) + "[[repo]]\nname = \"r\"\npath = \"p/\"\narches = [\"x86_64\"]\n", `repo "r"`, "tree"},
		{"repo tree unknown", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"debian\"\npath = \"p/\"\narches = [\"x86_64\"]\n", `repo "r"`, "tree"},
		{"repo path missing", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\narches = [\"x86_64\"]\n", `repo "r"`, "path"},
		{"repo path absolute", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"/9/\"\narches = [\"x86_64\"]\n", `repo "r"`, "path"},
		{"repo path dotdot", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"9/../x/\"\narches = [\"x86_64\"]\n", `repo "r"`, "path"},
		{"repo path variable", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"9/$basearch/\"\narches = [\"x86_64\"]\n", `repo "r"`, "path"},
		{"repo arch and arches", entry(ok) + repoOK + "arch = [\"aarch64\"]\n", `repo "baseos"`, "arch"},
		{"repo arches missing", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"9/\"\n", `repo "r"`, "arches"},
		{"repo arch bad", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"9/\"\narches = [\"x86_64\", \"X86\"]\n", `repo "r"`, "arches[1]"},
		{"repo arch twice", entry(ok) + "[[repo]]\nname = \"r\"\ntree = \"content\"\npath = \"9/\"\narches = [\"x86_64\", \"x86_64\"]\n", `repo "r"`, "arches[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(tt.doc), layout)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.File != "x.toml" || e.Entry != tt.entry || e.Key != tt.key {
				t.Fatalf("err = %q (entry %q key %q), want entry %q key %q", err, e.Entry, e.Key, tt.entry, tt.key)
			}
			if n := len(unjoin(err)); n != 1 {
				t.Errorf("%d errors, want 1: %v", n, err)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	doc := "[[mirror]]\nname = \"mirror3.example.net\"\ncountry = \"DE\"\n[mirror.trees.content]\nhttps = \"ftp://x\"\n"
	_, err := Parse("mirrors.toml", []byte(doc), layout)
	want := `mirrors.toml: mirror "mirror3.example.net": trees.content.https: "ftp://x" is not an https URL`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

// TestParseReportsEveryError: a file with several mistakes reports them
// all, in file order, each naming the file, its entry and its key.
func TestParseReportsEveryError(t *testing.T) {
	doc := `colour = "blue"
[[mirror]]
name = "a.example.net"
country = "XX"
tier = 7
[mirror.trees.content]
https = "ftp://a.example.net/"
[mirror.trees.debian]
http = "http://a.example.net/"

[[mirror]]
name = "Bad Name"
country = "DE"
bandwidth = -5
[mirror.trees.content]
rsync = "rsync://b.example.net/c"
htpps = "x"

[[mirror]]
name = "a.example.net"
country = "FR"
families = ["ipv4", "ipx"]
[mirror.trees.vault]
http = "http://c.example.net/"

[[repo]]
name = "baseos"
tree = "nope"
path = "a/$arch/"
arches = []
`
	_, err := Parse("x.toml", []byte(doc), layout)
	type ek struct{ entry, key string }
	want := []ek{
		{"", "colour"},
		{`mirror "a.example.net"`, "country"},
		{`mirror "a.example.net"`, "tier"},
		{`mirror "a.example.net"`, "trees.content.https"},
		{`mirror "a.example.net"`, "trees.debian"},
		{"mirror[1]", "trees.content.htpps"},
		{"mirror[1]", "name"},
		{"mirror[1]", "bandwidth"},
		{"mirror[2]", "families[1]"},
		{"mirror[2]", "name"},
		{`repo "baseos"`, "tree"},
		{`repo "baseos"`, "arches"},
	}
	var got []ek
	for _, e := range unjoin(err) {
		var me *Error
		if !errors.As(e, &me) || me.File != "x.toml" {
			t.Fatalf("%v is not an *Error naming x.toml", e)
		}
		got = append(got, ek{me.Entry, me.Key})
		if !strings.HasPrefix(e.Error(), "x.toml: ") {
			t.Errorf("message %q does not start with the file", e)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%v\nwant\n%v\nerr: %v", got, want, err)
	}
}

func TestParseBadLayout(t *testing.T) {
	if _, err := Parse("x.toml", []byte(minimal), nil); err == nil {
		t.Error("an empty layout was accepted")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/absent.toml", layout)
	var e *Error
	if !errors.As(err, &e) || e.File != "testdata/absent.toml" {
		t.Errorf("err = %v, want an *Error naming the file", err)
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
