// Package agenttest holds fixtures for mirror-agent tests, like
// net/http/httptest: a real rsync daemon on loopback, an rsync wrapper that
// logs each invocation, and a small authoritative DNS server (miekg/dns,
// 127.0.0.1:0) that serves and optionally DNSSEC-signs the signal. Programs
// are found with signal/testtool, so a missing rsync skips (or fails in CI).
// Only tests import it. It must not import server.
package agenttest
