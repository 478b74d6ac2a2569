package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// getJSON fetches path from in's public listener into v and returns the
// status code.
func (in *instance) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	resp, err := in.httpClient.Get("http://" + in.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return resp.StatusCode
}

// TestStatusThroughSignald: what the checker sees of a real fleet and the
// publish gate of a real publish reach the public JSON API, the archweb
// document and readiness, through the status builder.
func TestStatusThroughSignald(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	appendConfig(t, in.cfg, "[checker]\ninterval = \"2s\"\nfast_interval = \"1s\"\ntimeout = \"1s\"\n"+
		"[status]\nhistory_refresh = \"1s\"\narchweb_tree = \"vault\"\n")
	in.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	// t1a and t1b serve the master (fresh), t1c an old TIME (behind).
	var ms apiv1.Mirrors
	want := map[string]string{"t1a.example.net": "fresh", "t1b.example.net": "fresh", "t1c.example.net": "behind", "t1d.example.net": "fresh"}
	seen := func() bool {
		if in.getJSON(t, "/api/v1/mirrors", &ms) != http.StatusOK || len(ms.Mirrors) != 4 {
			return false
		}
		for _, m := range ms.Mirrors {
			if len(m.Trees) != 1 || m.Trees[0].State != want[m.Name] || m.Trees[0].Signal != stamp {
				return false
			}
		}
		return true
	}
	if !waitFor(30*time.Second, seen) {
		t.Fatalf("the API never showed the checked fleet: %+v\n%s", ms, in.stderr)
	}
	if c := ms.Trees[2]; c.Name != "vault" || c.Stamp != stamp || c.Counts["fresh"] != 3 || c.Counts["behind"] != 1 {
		t.Errorf("vault counts: %+v", c)
	}

	// The publish event, with the gate that let it through.
	id := "vault-" + strconv.FormatInt(stamp, 10)
	var ev apiv1.Event
	if !waitFor(30*time.Second, func() bool {
		return in.getJSON(t, "/api/v1/events/"+id, &ev) == http.StatusOK && ev.Fresh == 3 && ev.Gate != nil
	}) {
		t.Fatalf("event %s: %+v\n%s", id, ev, in.stderr)
	}
	if ev.Carrying != 4 || len(ev.Curve) == 0 || ev.Gate.Quorum != 3 || len(ev.Gate.Hosts) != 4 {
		t.Errorf("event %+v gate %+v", ev, ev.Gate)
	}
	if code := in.getJSON(t, "/api/v1/events/vault-1", nil); code != http.StatusNotFound {
		t.Errorf("unknown event: %d", code)
	}

	// The history strip arrives from checker.db.
	var one apiv1.Mirror
	if !waitFor(30*time.Second, func() bool {
		return in.getJSON(t, "/api/v1/mirrors/t1a.example.net", &one) == http.StatusOK &&
			len(one.Trees) == 1 && len(one.Trees[0].Days) == 30 && one.Trees[0].Days[29].Checks > 0
	}) {
		t.Fatalf("no history for t1a: %+v", one)
	}

	// Archweb's document for the configured tree, and readiness.
	var aw map[string]any
	if code := in.getJSON(t, "/mirrors/status/json/", &aw); code != http.StatusOK || aw["version"] != float64(3) {
		t.Fatalf("archweb: %d %v", code, aw["version"])
	}
	if urls, _ := aw["urls"].([]any); len(urls) != 4 {
		t.Errorf("archweb urls: %v", aw["urls"])
	}
	// The status page and the mirror's page, with its name escaped.
	page, code := "", 0
	if resp, err := in.httpClient.Get("http://" + in.http + "/?tree=vault&state=behind"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page, code = string(b), resp.StatusCode
	}
	if code != http.StatusOK || !strings.Contains(page, "t1c.example.net") || strings.Contains(page, ">t1a.example.net<") {
		t.Errorf("status page filtered to vault behind: %d\n%.2000s", code, page)
	}
	if code := in.getJSON(t, "/mirrors/t1a.example.net", nil); code != http.StatusOK {
		t.Errorf("mirror page: %d", code)
	}
	if code := in.getJSON(t, "/?state=sideways", nil); code != http.StatusBadRequest {
		t.Errorf("a bad state: %d", code)
	}
	resp, err := in.httpClient.Get("http://" + in.http + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "ready") {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}
}

// TestMirrorlistThroughSignald: with a repo on the master, signald's
// mirrorlist lists the mirrors the checker saw fresh (over HTTP), never the
// one behind, and its metalink carries the master's repomd.xml hashes.
func TestMirrorlistThroughSignald(t *testing.T) {
	testtool.Require(t, "createrepo_c")
	f := newTier1(t)
	repo := filepath.Join(f.master, "os", "x86_64")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(testtool.Path(t, "createrepo_c"), "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	repomd, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	in := gatedInstance(t, f, "majority", "60s")
	appendConfig(t, filepath.Join(in.dir, "mirrors.toml"), "\n[[repo]]\nname = \"vault-os\"\ntree = \"vault\"\npath = \"os/$arch/\"\narches = [\"x86_64\"]\n")
	data, err := os.ReadFile(in.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(data), "name = \"vault\"\n", "name = \"vault\"\nrepo_base = \""+f.http[0].URL+"/\"\n", 1)
	cfg += "[checker]\ninterval = \"2s\"\nfast_interval = \"1s\"\ntimeout = \"1s\"\n[mirrorlist]\nmin_mirrors = 1\n"
	if err := os.WriteFile(in.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	in.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	get := func(path string) (int, string) {
		resp, err := in.httpClient.Get("http://" + in.http + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(body)
	}
	fresh := []string{f.http[0].URL + "/os/x86_64/", f.http[1].URL + "/os/x86_64/"}
	var list string
	if !waitFor(30*time.Second, func() bool {
		code, body := get("/mirrorlist?repo=vault-os&arch=x86_64")
		list = body
		return code == http.StatusOK && strings.Contains(body, fresh[0]) && strings.Contains(body, fresh[1])
	}) {
		t.Fatalf("mirrorlist never listed the fresh mirrors %v:\n%s\n%s", fresh, list, in.stderr)
	}
	if strings.Contains(list, f.http[2].URL) || !strings.HasPrefix(list, "# repo = vault-os arch = x86_64") {
		t.Errorf("mirrorlist lists the mirror behind, or lacks its header:\n%s", list)
	}
	sum := sha256.Sum256(repomd)
	var meta string
	if !waitFor(30*time.Second, func() bool {
		code, body := get("/metalink?repo=vault-os&arch=x86_64")
		meta = body
		return code == http.StatusOK && strings.Contains(body, hex.EncodeToString(sum[:]))
	}) {
		t.Fatalf("metalink never carried the master's sha256:\n%s", meta)
	}
	if !strings.Contains(meta, fmt.Sprintf(`<size>%d</size>`, len(repomd))) || !strings.Contains(meta, fresh[0]+"repodata/repomd.xml") {
		t.Errorf("metalink:\n%s", meta)
	}
	if code, body := get("/mirrorlist?repo=nope&arch=x86_64"); code != http.StatusNotFound || !strings.Contains(body, "invalid repo or arch") {
		t.Errorf("unknown repo: %d %s", code, body)
	}
}
