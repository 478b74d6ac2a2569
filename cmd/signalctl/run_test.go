package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// signalctl runs run as main does and returns the exit code and output.
func signalctl(args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	code = exitCode(run(context.Background(), args, &out, &errb), &errb)
	return code, out.String(), errb.String()
}

// writeConfig writes a valid signald configuration with state in dir and
// extra appended, and returns its path.
func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	text := `state_dir = "` + dir + `"
[zone]
origin = "mirrors.example.test."
signal_name = "current"
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
[[trees]]
name = "vault"
` + extra
	path := filepath.Join(dir, "signald.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type runCase struct {
	name   string
	args   []string
	code   int
	stdout string // a substring of stdout; "" checks nothing
	stderr string // a substring of stderr; "" checks nothing
}

func (tt runCase) check(t *testing.T) {
	t.Helper()
	code, out, errs := signalctl(tt.args...)
	if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
		t.Errorf("signalctl %q: exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q",
			tt.args, code, out, errs, tt.code, tt.stdout, tt.stderr)
	}
}

func TestRunArguments(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "")
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[zone]\norigin = \"mirrors.example.test.\"\nbogus = 1\n"), 0o600)
	off := writeConfig(t, t.TempDir(), "[admin]\nenabled = false\n")
	missing := filepath.Join(dir, "absent.toml")
	keyDir := filepath.Join(dir, "keys")
	kz := []string{"--zone", "mirrors.example.test.", "--dir", keyDir, "--config", missing}

	tests := []runCase{
		{"no command", nil, exitUsage, "", "usage: signalctl COMMAND"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, exitOK, "signalctl dev\n", ""},
		{"help", []string{"help"}, exitOK, "usage: signalctl COMMAND", ""},
		{"--help", []string{"--help"}, exitOK, "usage: signalctl COMMAND", ""},

		{"check-config ok", []string{"check-config", "--config", good}, exitOK, good + ": ok\n", ""},
		{"check-config unknown key", []string{"check-config", "--config", bad}, exitConfig, "", "unknown key"},
		{"check-config missing file", []string{"check-config", "--config", missing}, exitConfig, "", missing},
		{"check-config unknown flag", []string{"check-config", "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{"check-config extra argument", []string{"check-config", "--config", good, "extra"}, exitUsage, "", `unexpected argument "extra"`},

		{"publish no tree", []string{"publish", "--config", good}, exitUsage, "", "exactly one TREE"},
		{"publish two trees", []string{"publish", "content", "vault", "--config", good}, exitUsage, "", "exactly one TREE"},
		{"publish garbage epoch", []string{"publish", "content", "--at", "tomorrow"}, exitUsage, "", "not a positive Unix time"},
		{"publish negative epoch", []string{"publish", "content", "--at", "-5"}, exitUsage, "", "not a positive Unix time"},
		{"publish unknown flag", []string{"publish", "content", "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{"publish missing config", []string{"publish", "content", "--config", missing}, exitConfig, "", missing},
		{"publish bad config", []string{"publish", "content", "--config", bad}, exitConfig, "", "unknown key"},
		{"publish admin off", []string{"publish", "content", "--config", off}, exitConfig, "", "admin.enabled"},
		{"publish no signald", []string{"publish", "content", "--socket", filepath.Join(dir, "absent.sock")}, exitFail, "", "publish: "},
		{"publish token file missing", []string{"publish", "content", "--url", "http://127.0.0.1:9", "--token-file", filepath.Join(dir, "absent.token")}, exitFail, "", "admin token"},

		{"query extra argument", []string{"query", "extra", "--server", "127.0.0.1:9", "--name", "x.test"}, exitUsage, "", `unexpected argument "extra"`},
		{"query missing config", []string{"query", "--config", missing}, exitConfig, "", missing},
		{"query bad config", []string{"query", "--name", "x.test", "--config", bad}, exitConfig, "", "unknown key"},

		{"keys no command", []string{"keys"}, exitUsage, "", "usage: signalctl keys COMMAND"},
		{"keys unknown command", append([]string{"keys", "rotate"}, kz...), exitUsage, "", `unknown keys command "rotate"`},
		{"keys extra argument", append([]string{"keys", "list", "extra"}, kz...), exitUsage, "", `unexpected argument "extra"`},
		{"keys generate ksk and zsk", append([]string{"keys", "generate", "--ksk", "--zsk"}, kz...), exitUsage, "", "exclude each other"},
		{"keys generate rsa", append([]string{"keys", "generate", "--algorithm", "rsasha256"}, kz...), exitUsage, "", `algorithm "rsasha256"`},
		{"keys retire no tag", append([]string{"keys", "retire"}, kz...), exitUsage, "", "retire needs --tag N"},
		{"keys retire tag too big", append([]string{"keys", "retire", "--tag", "65536"}, kz...), exitUsage, "", "retire needs --tag N"},
		{"keys list missing config", []string{"keys", "list", "--config", missing}, exitConfig, "", missing},
		{"keys list bad config, no zone", []string{"keys", "list", "--dir", keyDir, "--config", bad}, exitConfig, "", "unknown key"},
		{"keys ds without keys", append([]string{"keys", "ds"}, kz...), exitFail, "", "no SEP key for mirrors.example.test."},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
	if _, err := os.Stat(keyDir); !os.IsNotExist(err) {
		t.Errorf("refused keys commands created %s: %v", keyDir, err)
	}
}

var generatedRE = regexp.MustCompile(`^(.*)/(Kmirrors\.example\.test\.\+(\d{3})\+(\d{5}))\.key\n`)

// TestRunKeys generates, lists, prints DS for and retires keys in the
// config's key directory.
func TestRunKeys(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "[dnssec]\nenabled = true\nalgorithm = \"ed25519\"\n")
	keyDir := filepath.Join(dir, "keys")
	keys := func(args ...string) (int, string, string) {
		return signalctl(append(append([]string{"keys"}, args...), "--config", cfg)...)
	}

	code, out, errs := keys("generate")
	m := generatedRE.FindStringSubmatch(out)
	if code != exitOK || m == nil || m[1] != keyDir || m[3] != "015" || !strings.Contains(out, "DS for the parent zone:\nmirrors.example.test.\t3600\tIN\tDS\t") {
		t.Fatalf("keys generate: exit %d\nstdout %q\nstderr %q", code, out, errs)
	}
	ksk, kskTag := m[2], strings.TrimLeft(m[4], "0")
	code, out, _ = keys("generate", "--zsk", "--algorithm", "ecdsap256")
	m = generatedRE.FindStringSubmatch(out)
	if code != exitOK || m == nil || m[3] != "013" || strings.Contains(out, "DS") {
		t.Fatalf("keys generate --zsk: exit %d, %q", code, out)
	}
	zsk, zskTag := m[2], strings.TrimLeft(m[4], "0")

	want := ksk + "\tKSK\ttag " + kskTag + "\talgorithm 15\n" + zsk + "\tZSK\ttag " + zskTag + "\talgorithm 13\n"
	if code, out, _ := keys("list"); code != exitOK || out != want {
		t.Errorf("keys list: exit %d\n%q\nwant\n%q", code, out, want)
	}
	if code, out, _ := keys("ds"); code != exitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, "\tDS\t"+kskTag+" 15 2 ") {
		t.Errorf("keys ds: exit %d, %q", code, out)
	}
	wantRetired := "retired " + ksk + " to " + keyDir + "/retired; send SIGHUP to signald\n"
	if code, out, _ := keys("retire", "--tag", kskTag); code != exitOK || out != wantRetired {
		t.Errorf("keys retire: exit %d, %q; want %q", code, out, wantRetired)
	}
	if code, _, errs := keys("retire", "--tag", zskTag); code != exitFail || !strings.Contains(errs, "only key") {
		t.Errorf("retire the last key: exit %d, %q", code, errs)
	}
	if code, _, errs := keys("ds"); code != exitFail || !strings.Contains(errs, "no SEP key") {
		t.Errorf("keys ds with a ZSK only: exit %d, %q", code, errs)
	}
}

// TestRunPublish publishes through a fake admin listener on a Unix socket.
func TestRunPublish(t *testing.T) {
	sock := fakeAdmin(t, func(w http.ResponseWriter, req apiv1.PublishRequest) {
		if req.At < 1700000000 {
			http.Error(w, "timestamp would go backwards: content is at 1795440000, asked for 1600000000 (use --force)", http.StatusConflict)
			return
		}
		json.NewEncoder(w).Encode(apiv1.PublishResponse{ID: 1, State: "committed", Tree: req.Tree, Stamp: req.At, Serial: 1795448410, Event: 1, Record: "1795440000:0"})
	})
	tests := []runCase{
		{"published", []string{"publish", "content", "--at", "1795440000", "--socket", sock}, exitOK,
			"published content at 1795440000 (2026-11-23T13:20:00Z), was 0; serial 1795448410, event 1\nsignal now \"1795440000:0\"\n", ""},
		{"flags before the tree", []string{"publish", "--socket", sock, "--at", "1795440000", "content"}, exitOK, "published content", ""},
		{"refused", []string{"publish", "content", "--at", "1600000000", "--socket", sock}, exitFail, "",
			"signalctl: publish refused (409 Conflict): timestamp would go backwards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

func fakeAdmin(t *testing.T, answer func(http.ResponseWriter, apiv1.PublishRequest)) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req apiv1.PublishRequest
		if r.URL.Path != apiv1.PathPublish || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		answer(w, req)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return path
}

// TestRunQuery queries a tiny authoritative server, with --server and
// --name and with both from the config.
func TestRunQuery(t *testing.T) {
	addr := fakeDNS(t, map[string]string{
		"_trees.current.mirrors.example.test.": "content:vault",
		"current.mirrors.example.test.":        "1795440000:0",
	})
	cfg := writeConfig(t, t.TempDir(), "[dns]\nlisten = \""+addr+"\"\n")
	headline := `signal current.mirrors.example.test. from ` + addr + `: "1795440000:0" (serial 0)` + "\n" +
		"content  1795440000  2026-11-23T13:20:00Z  "
	tests := []runCase{
		{"flags", []string{"query", "--server", addr, "--name", "Current.Mirrors.Example.Test"}, exitOK, headline, ""},
		{"config", []string{"query", "--config", cfg}, exitOK, "vault    0           never published\n", ""},
		{"unknown name", []string{"query", "--server", addr, "--name", "old.mirrors.example.test"}, exitFail, "",
			"signalctl: query _trees.old.mirrors.example.test. TXT at " + addr + ": NXDOMAIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

// fakeDNS answers TXT queries for txt's names over UDP on 127.0.0.1 and
// NXDOMAIN for any other name.
func fakeDNS(t *testing.T, txt map[string]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.ToLower(q.Question[0].Name)
		s, ok := txt[name]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Question[0].Qtype == dns.TypeTXT:
			m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{s}}}
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.ShutdownContext(ctx)
	})
	return pc.LocalAddr().String()
}
