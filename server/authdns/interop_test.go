package authdns

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// lookupTool is dig or kdig: how to call it and how to read its output.
type lookupTool struct {
	name string
	args func(port string) []string // options before the query
}

var (
	digTool = lookupTool{"dig", func(p string) []string {
		return []string{"@127.0.0.1", "-p", p, "+tries=1", "+time=2", "+noall", "+comments", "+answer"}
	}}
	kdigTool = lookupTool{"kdig", func(p string) []string {
		return []string{"@127.0.0.1", "-p", p, "+retry=0", "+time=2", "+noall", "+header", "+answer"}
	}}
)

// digResult is what the tests read from dig or kdig output.
type digResult struct {
	status  string   // NOERROR, NXDOMAIN…
	flags   []string // qr, aa, rd…
	counts  map[string]int
	answer  []string // records printed (answer section), canonical form
	ednsUDP int      // size in the OPT pseudo-section, 0 if none
	retried bool     // the tool retried over TCP after TC
	raw     string
}

var (
	reStatus = regexp.MustCompile(`status: ([A-Z]+)`)
	reFlags  = regexp.MustCompile(`(?i);; flags:([a-z ]*);`)
	reCount  = regexp.MustCompile(`(QUERY|ANSWER|AUTHORITY|ADDITIONAL): (\d+)`)
	reUDP    = regexp.MustCompile(`udp: (\d+)`)
	reRetry  = regexp.MustCompile(`(?i)truncated.*retrying`)
)

// parseDig reads the last response printed (after a TCP retry, the
// final one). Record lines are parsed as zone-file records so that column
// spacing does not matter.
func parseDig(t *testing.T, out string) digResult {
	t.Helper()
	r := digResult{counts: map[string]int{}, raw: out, retried: reRetry.MatchString(out)}
	if i := strings.LastIndex(out, "->>HEADER<<-"); i >= 0 {
		out = out[strings.LastIndex(out[:i], "\n")+1:] // from the start of that line
	} else {
		t.Fatalf("no header in output:\n%s", r.raw)
	}
	if m := reStatus.FindStringSubmatch(out); m != nil {
		r.status = m[1]
	}
	if m := reFlags.FindStringSubmatch(out); m != nil {
		r.flags = strings.Fields(m[1])
	}
	for _, m := range reCount.FindAllStringSubmatch(out, -1) {
		r.counts[m[1]], _ = strconv.Atoi(m[2])
	}
	if m := reUDP.FindStringSubmatch(out); m != nil {
		r.ednsUDP, _ = strconv.Atoi(m[1])
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rec, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("cannot parse record line %q: %v\n%s", line, err, r.raw)
		}
		r.answer = append(r.answer, rec.String())
	}
	return r
}

func (r digResult) has(flag string) bool { return slices.Contains(r.flags, flag) }

// runTool runs tool against port with extra arguments.
func runTool(t *testing.T, tool lookupTool, port string, extra ...string) digResult {
	t.Helper()
	path := testtool.Path(t, tool.name)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := append(tool.args(port), extra...)
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool.name, strings.Join(args, " "), err, out)
	}
	return parseDig(t, string(out))
}

func portOf(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// interopCase is one lookup and what its output must show.
type interopCase struct {
	name    string
	args    []string
	status  string
	aa      bool
	counts  map[string]int
	answer  []string
	edns    int  // expected OPT size; 0: no OPT
	retried bool // TC over UDP, then TCP
}

func (c interopCase) check(t *testing.T, r digResult) {
	t.Helper()
	if r.status != c.status {
		t.Errorf("status %s, want %s", r.status, c.status)
	}
	if !r.has("qr") || r.has("aa") != c.aa || r.has("ra") || r.has("tc") {
		t.Errorf("flags %v, want qr, aa=%v, no ra, no tc", r.flags, c.aa)
	}
	for k, v := range c.counts {
		if r.counts[k] != v {
			t.Errorf("%s: %d, want %d", k, r.counts[k], v)
		}
	}
	if c.answer != nil && !slices.Equal(r.answer, c.answer) {
		t.Errorf("answer %q, want %q", r.answer, c.answer)
	}
	if r.ednsUDP != c.edns {
		t.Errorf("EDNS udp %d, want %d", r.ednsUDP, c.edns)
	}
	if r.retried != c.retried {
		t.Errorf("retried over TCP: %v, want %v", r.retried, c.retried)
	}
	if t.Failed() {
		t.Logf("output:\n%s", r.raw)
	}
}

func TestInteropDig(t *testing.T) {
	testtool.Path(t, "dig")
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	many := startServer(t, Config{}, mustCompile(t, manyNSZone(20)))
	big := startServer(t, Config{}, mustCompile(t, manyNSZone(40))) // NS RRset alone over 512
	txt := rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)
	mixed := "cUrReNt.MiRrOrS.example.test."
	cases := []struct {
		srv *testServer
		c   interopCase
	}{
		{ts, interopCase{name: "signal TXT", args: []string{testSignal, "TXT"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1}, answer: []string{txt}, edns: 1232}},
		{ts, interopCase{name: "without EDNS", args: []string{"+noedns", testSignal, "TXT"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1, "ADDITIONAL": 0}, answer: []string{txt}}},
		{ts, interopCase{name: "case preserved", args: []string{mixed, "TXT"}, status: "NOERROR", aa: true,
			answer: []string{rr(t, mixed+` 300 IN TXT "`+testRecord+`"`)}, edns: 1232}},
		{ts, interopCase{name: "trees TXT", args: []string{testTrees, "TXT"}, status: "NOERROR", aa: true,
			answer: []string{rr(t, testTrees+` 300 IN TXT "`+testLayout+`"`)}, edns: 1232}},
		{ts, interopCase{name: "NODATA", args: []string{testSignal, "A"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 0, "AUTHORITY": 1}, answer: []string{}, edns: 1232}},
		{ts, interopCase{name: "NXDOMAIN", args: []string{"nope." + testOrigin, "TXT"}, status: "NXDOMAIN", aa: true,
			counts: map[string]int{"ANSWER": 0, "AUTHORITY": 1}, answer: []string{}, edns: 1232}},
		{ts, interopCase{name: "REFUSED outside", args: []string{"example.org", "A"}, status: "REFUSED",
			counts: map[string]int{"ANSWER": 0, "AUTHORITY": 0}, edns: 1232}},
		{ts, interopCase{name: "REFUSED class CH", args: []string{"version.bind", "CH", "TXT"}, status: "REFUSED", edns: 1232}},
		{ts, interopCase{name: "ANY is minimal", args: []string{testSignal, "ANY"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1}, answer: []string{txt}, edns: 1232}},
		{ts, interopCase{name: "REFUSED for NOTIFY", args: []string{"+opcode=notify", testOrigin, "SOA"}, status: "REFUSED", edns: 1232}},
		{ts, interopCase{name: "NOTIMP for UPDATE", args: []string{"+opcode=update", testOrigin, "SOA"}, status: "NOTIMP", edns: 1232}},
		{ts, interopCase{name: "BADVERS", args: []string{"+edns=1", "+noednsnegotiation", testSignal, "TXT"}, status: "BADVERS", edns: 1232}},
		{many, interopCase{name: "glue dropped to fit 512", args: []string{"+noedns", testOrigin, "NS"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 20, "ADDITIONAL": 0}}},
		{big, interopCase{name: "truncated then TCP", args: []string{"+noedns", testOrigin, "NS"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 40, "ADDITIONAL": 40}, retried: true}},
		{many, interopCase{name: "EDNS 1232 fits", args: []string{testOrigin, "NS"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 20, "ADDITIONAL": 21}, edns: 1232}},
	}
	for _, c := range cases {
		t.Run(c.c.name, func(t *testing.T) {
			c.c.check(t, runTool(t, digTool, portOf(c.srv.udp), c.c.args...))
		})
	}
	t.Run("AXFR refused", func(t *testing.T) {
		out, _ := exec.Command(testtool.Path(t, "dig"), "@127.0.0.1", "-p", portOf(ts.tcp), "+tries=1", "+time=2", testOrigin, "AXFR").CombinedOutput()
		if !strings.Contains(string(out), "Transfer failed") {
			t.Fatalf("dig AXFR: want a failed transfer, got\n%s", out)
		}
	})
}

// TestInteropKdig runs the same checks through Knot's kdig, which sends no
// EDNS by default and lowercases query names itself.
func TestInteropKdig(t *testing.T) {
	testtool.Path(t, "kdig")
	ts := startServer(t, Config{}, mustCompile(t, testZone()))
	many := startServer(t, Config{}, mustCompile(t, manyNSZone(40)))
	txt := rr(t, testSignal+` 300 IN TXT "`+testRecord+`"`)
	cases := []struct {
		srv *testServer
		c   interopCase
	}{
		{ts, interopCase{name: "signal TXT", args: []string{testSignal, "TXT"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1}, answer: []string{txt}}},
		{ts, interopCase{name: "signal TXT with EDNS", args: []string{"+edns", testSignal, "TXT"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1, "ADDITIONAL": 1}, answer: []string{txt}}},
		{ts, interopCase{name: "NODATA", args: []string{testSignal, "AAAA"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 0, "AUTHORITY": 1}, answer: []string{}}},
		{ts, interopCase{name: "NXDOMAIN", args: []string{"x." + testSignal, "TXT"}, status: "NXDOMAIN", aa: true,
			counts: map[string]int{"ANSWER": 0, "AUTHORITY": 1}, answer: []string{}}},
		{ts, interopCase{name: "REFUSED", args: []string{"example.org", "A"}, status: "REFUSED", counts: map[string]int{"ANSWER": 0}}},
		{ts, interopCase{name: "ANY is minimal", args: []string{testOrigin, "ANY"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 1}}},
		{many, interopCase{name: "truncated then TCP", args: []string{testOrigin, "NS"}, status: "NOERROR", aa: true,
			counts: map[string]int{"ANSWER": 40, "ADDITIONAL": 40}, retried: true}},
	}
	for _, c := range cases {
		t.Run(c.c.name, func(t *testing.T) {
			c.c.check(t, runTool(t, kdigTool, portOf(c.srv.udp), c.c.args...))
		})
	}
}
