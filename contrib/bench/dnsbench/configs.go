package dnsbench

import (
	"fmt"
	"strings"
)

// zoneOrigin is the zone every server serves: signald's, transferred.
const zoneOrigin = "mirrors.example.test."

// signaldConfig is signald's configuration for the benchmark: the zone
// signed with a generated key, DNS only, RRL off, transfers allowed from
// loopback.
func signaldConfig(stateDir, addr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state_dir = %q\n\n", stateDir)
	fmt.Fprintf(&b, "[zone]\norigin = %q\n\n", zoneOrigin)
	fmt.Fprintf(&b, "[[zone.ns]]\nname = %q\naddresses = [\"127.0.0.1\"]\n\n", "ns1."+zoneOrigin)
	for _, tree := range []string{"content", "altarch", "vault"} {
		fmt.Fprintf(&b, "[[trees]]\nname = %q\n\n", tree)
	}
	fmt.Fprintf(&b, "[dns]\nenabled = true\nlisten = %q\n\n", addr)
	b.WriteString("[dns.rrl]\nenabled = false\n\n")
	b.WriteString("[http]\nenabled = false\n\n")
	b.WriteString("[dnssec]\nenabled = true\nalgorithm = \"ecdsap256\"\ngenerate = true\n\n")
	b.WriteString("[transfer]\nallow_from = [\"127.0.0.1/32\"]\n\n")
	b.WriteString("[log]\nlevel = \"info\"\n")
	return b.String()
}

// nsdConfig makes NSD a secondary of primary (host:port) on port, with one
// server process, RRL off and minimal responses, so that its answers carry
// what signald's and Knot's do (NSD adds the NS RRset and glue otherwise).
func nsdConfig(dir string, port int, primary string) string {
	host, pport := splitHostPort(primary)
	return fmt.Sprintf(`server:
  ip-address: 127.0.0.1@%[2]d
  port: %[2]d
  username: ""
  chroot: ""
  database: ""
  zonesdir: %[1]q
  pidfile: "%[1]s/nsd.pid"
  xfrdfile: "%[1]s/xfrd.state"
  zonelistfile: "%[1]s/zone.list"
  logfile: "%[1]s/nsd-server.log"
  verbosity: 1
  server-count: 1
  rrl-ratelimit: 0
  minimal-responses: yes
remote-control:
  control-enable: no
zone:
  name: %[3]q
  zonefile: "zone.db"
  request-xfr: AXFR %[4]s@%[5]s NOKEY
`, dir, port, zoneOrigin, host, pport)
}

// knotConfig makes Knot a secondary of primary on port, with one UDP, one
// TCP and one background worker and no modules (so no mod-rrl).
func knotConfig(dir string, port int, primary string) string {
	host, pport := splitHostPort(primary)
	return fmt.Sprintf(`server:
  listen: 127.0.0.1@%[2]d
  rundir: "%[1]s/run"
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: "%[1]s/db"
log:
  - target: stderr
    any: info
remote:
  - id: primary
    address: %[4]s@%[5]s
template:
  - id: default
    storage: "%[1]s/zones"
    file: zone.db
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: %[3]s
    master: primary
`, dir, port, zoneOrigin, host, pport)
}

func splitHostPort(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}
