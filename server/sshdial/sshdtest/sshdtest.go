// Package sshdtest starts a real OpenSSH sshd on 127.0.0.1 for tests of the
// packages that plant over SFTP and push over SSH. The server, its host
// keys, the client key and known_hosts all live in the test's temp dir, and
// the server is killed at cleanup. Without sshd the test is skipped (failed
// under CI=true, see signal/testtool). Only tests import it.
package sshdtest

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// startTimeout bounds the wait for a started sshd to answer.
const startTimeout = 10 * time.Second

// Options shape the server.
type Options struct {
	// ForcedCommand, when set, goes into the authorized_keys line as
	// command="…" (with restrict), as on a mirror that accepts pushes.
	ForcedCommand string
	// SFTPArgs are appended to "Subsystem sftp internal-sftp", e.g.
	// "-P posix-rename" to refuse a request.
	SFTPArgs string
}

// Server is a running sshd.
type Server struct {
	Addr       string // 127.0.0.1:port
	Dir        string // its temp dir
	User       string // the user the client logs in as: the current user
	Identity   string // the client's private key (mode 0600)
	KnownHosts string // pins the server's Ed25519 host key for Addr
	// HostKeys are the server's public host keys: Ed25519 first, then ECDSA.
	HostKeys []ssh.PublicKey
	log      *testtool.Buffer
	opts     Options
}

// Config returns the sshdial.Config that reaches the server.
func (s *Server) Config() sshdial.Config {
	return sshdial.Config{Addr: s.Addr, User: s.User, IdentityFile: s.Identity,
		KnownHostsFile: s.KnownHosts, Timeout: 10 * time.Second}
}

// Log returns what sshd printed so far.
func (s *Server) Log() string { return s.log.String() }

// WriteKnownHosts writes a known_hosts file in the server's dir listing
// keys for the server's address and returns its path.
func (s *Server) WriteKnownHosts(t testing.TB, name string, keys ...ssh.PublicKey) string {
	t.Helper()
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{s.Addr}, k) + "\n")
	}
	p := filepath.Join(s.Dir, name)
	writeFile(t, p, []byte(b.String()), 0o644)
	return p
}

// Start runs sshd -D -e on a free 127.0.0.1 port.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	sshd := testtool.Path(t, "sshd")
	if !filepath.IsAbs(sshd) {
		t.Fatalf("sshd at %q: sshd needs an absolute path to re-execute itself", sshd)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		testtool.Missing(t, "sshd needs /run/sshd: "+err.Error())
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: t.TempDir(), User: u.Username, log: new(testtool.Buffer), opts: o}
	s.writeKeys(t, o)
	var lastErr error
	for range 3 { // a free port found by listening may be taken before sshd binds it
		if lastErr = s.start(t, sshd); lastErr == nil {
			s.KnownHosts = s.WriteKnownHosts(t, "known_hosts", s.HostKeys[0])
			return s
		}
	}
	t.Fatalf("sshd did not start: %v\n%s", lastErr, s.log.String())
	return nil
}

func (s *Server) writeKeys(t testing.TB, o Options) {
	t.Helper()
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range []crypto.Signer{edPriv, ecPriv} {
		writePrivateKey(t, filepath.Join(s.Dir, fmt.Sprintf("host_key_%d", i)), k)
		pub, err := ssh.NewPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		s.HostKeys = append(s.HostKeys, pub)
	}
	_, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s.Identity = filepath.Join(s.Dir, "id_ed25519")
	writePrivateKey(t, s.Identity, clientPriv)
	pub, err := ssh.NewPublicKey(clientPriv.Public())
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if o.ForcedCommand != "" {
		line = fmt.Sprintf("restrict,command=%q %s", o.ForcedCommand, line)
	}
	writeFile(t, filepath.Join(s.Dir, "authorized_keys"), []byte(line+"\n"), 0o600)
}

func (s *Server) config(port int) string {
	lines := []string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(s.Dir, "host_key_0"),
		"HostKey " + filepath.Join(s.Dir, "host_key_1"),
		"AuthorizedKeysFile " + filepath.Join(s.Dir, "authorized_keys"),
		"PidFile " + filepath.Join(s.Dir, "sshd.pid"),
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		strings.TrimSpace("Subsystem sftp internal-sftp " + s.opts.SFTPArgs),
		"MaxStartups 100",
		"PrintLastLog no",
		"PrintMotd no",
		"UseDNS no",
	}
	return strings.Join(lines, "\n") + "\n"
}

func (s *Server) start(t testing.TB, sshd string) error {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return err
	}
	cfg := filepath.Join(s.Dir, "sshd_config")
	writeFile(t, cfg, []byte(s.config(port)), 0o600)
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitBanner(s.Addr, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.log.String())
		}
	})
	return nil
}

// waitBanner waits until addr sends an SSH banner, or sshd exits.
func waitBanner(addr string, exited <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("sshd exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no SSH banner on %s within %v", addr, startTimeout)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writePrivateKey(t testing.TB, path string, k crypto.Signer) {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, pem.EncodeToMemory(block), 0o600)
}

func writeFile(t testing.TB, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}
