package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Master is where a tree's TIME file is planted before a publish is gated:
// a local directory, or a directory on an SFTP server.
type Master struct {
	// Dir is the tree's root: local, or as the SFTP server shows it (inside
	// its chroot).
	Dir string `toml:"dir"`
	// SFTP is user@host:port of the SFTP server; empty for a local Dir.
	SFTP string `toml:"sftp"`
	// IdentityFile is the SSH private key and KnownHosts the known_hosts
	// file that must hold the server's host key (relative to state_dir).
	// There is no way to skip the host key check.
	IdentityFile string   `toml:"identity_file"`
	KnownHosts   string   `toml:"known_hosts"`
	Timeout      Duration `toml:"timeout"`
}

// Quorum values of [[trees]] quorum.
const (
	QuorumAll      = "all"
	QuorumMajority = "majority"
)

// Need is how many of total tier-1 hosts the tree's quorum asks for: all,
// a majority, or N (at most total).
func (t Tree) Need(total int) int {
	switch t.Quorum {
	case "", QuorumAll:
		return total
	case QuorumMajority:
		return total/2 + 1
	}
	n, _ := strconv.Atoi(t.Quorum) // validated
	return min(n, total)
}

// Push configures the SSH triggers sent to opted-in mirrors after each
// commit (they run their forced command, mirror-agent trigger).
type Push struct {
	Enabled      bool         `toml:"enabled"`
	IdentityFile string       `toml:"identity_file"` // relative to state_dir
	KnownHosts   string       `toml:"known_hosts"`   // relative to state_dir
	Concurrency  int          `toml:"concurrency"`
	Timeout      Duration     `toml:"timeout"` // per mirror
	Targets      []PushTarget `toml:"targets"`
}

// PushTarget is one mirror that opted in to push.
type PushTarget struct {
	Name    string   `toml:"name"`
	Address string   `toml:"address"` // host:port of its sshd
	User    string   `toml:"user"`
	Trees   []string `toml:"trees"` // empty: every tree
}

// Defaults of the publisher.
const (
	defaultGateInterval  = 10 * time.Second
	defaultGateTimeout   = 30 * time.Minute
	defaultSFTPTimeout   = 30 * time.Second
	defaultPushTimeout   = 60 * time.Second
	defaultPushParallel  = 8
	defaultHeartbeatFile = ".mirrorsignal-heartbeat"
)

// MirrorsPath is the mirrors.toml the tier-1 hosts come from ("" when
// none): relative to the directory of signald.toml.
func (c *Config) MirrorsPath() string {
	p := c.Publish.MirrorsFile
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// StatePath resolves p under state_dir unless it is absolute.
func (c *Config) StatePath(p string) string { return c.statePath(p) }

func (c *Config) validatePublisher() error {
	var p problems
	pub := c.Publish
	if pub.TimeFile == "" || strings.ContainsAny(pub.TimeFile, "/\\") || pub.TimeFile == "." || pub.TimeFile == ".." {
		p.add("publish.time_file", "%q must be a plain file name", pub.TimeFile)
	}
	if pub.GateInterval.Duration < 100*time.Millisecond || pub.GateInterval.Duration > time.Hour {
		p.add("publish.gate_interval", "%s must be between 100ms and 1h", pub.GateInterval)
	}
	if pub.GateTimeout.Duration < pub.GateInterval.Duration || pub.GateTimeout.Duration > 7*24*time.Hour {
		p.add("publish.gate_timeout", "%s must be at least gate_interval and at most 168h", pub.GateTimeout)
	}
	if pub.HeartbeatInterval.Duration != 0 && pub.HeartbeatInterval.Duration < time.Second {
		p.add("publish.heartbeat_interval", "%s must be 0s (off) or at least 1s", pub.HeartbeatInterval)
	}
	if pub.HeartbeatFile == "" || strings.ContainsAny(pub.HeartbeatFile, "/\\") || pub.HeartbeatFile == pub.TimeFile {
		p.add("publish.heartbeat_file", "%q must be a plain file name other than the TIME file", pub.HeartbeatFile)
	}
	for i, t := range c.Trees {
		c.validateTreePublishing(&p, i, t)
	}
	c.validatePush(&p)
	return p.err()
}

func (c *Config) validateTreePublishing(p *problems, i int, t Tree) {
	key := fmt.Sprintf("trees[%d]", i)
	switch t.Quorum {
	case "", QuorumAll, QuorumMajority:
	default:
		if n, err := strconv.Atoi(t.Quorum); err != nil || n < 1 {
			p.add(key+".quorum", "%q must be all, majority or a number of hosts from 1", t.Quorum)
		}
	}
	if t.RepoBase != "" {
		u, err := url.Parse(t.RepoBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" ||
			u.Fragment != "" || !strings.HasSuffix(u.Path, "/") {
			p.add(key+".repo_base", "%q must be an http or https URL ending in /", t.RepoBase)
		}
	}
	for j, m := range t.Masters {
		mk := fmt.Sprintf("%s.masters[%d]", key, j)
		if m.Dir == "" {
			p.add(mk+".dir", "must name the tree's root")
		}
		if m.SFTP == "" {
			continue
		}
		if _, _, err := splitUserHost(m.SFTP); err != nil {
			p.add(mk+".sftp", "%v", err)
		}
		if m.IdentityFile == "" {
			p.add(mk+".identity_file", "an SSH key is required for sftp")
		}
		if m.KnownHosts == "" {
			p.add(mk+".known_hosts", "a known_hosts file with the server's host key is required for sftp")
		}
		if m.Timeout.Duration < 0 || m.Timeout.Duration > 10*time.Minute {
			p.add(mk+".timeout", "%s must be between 0s and 10m", m.Timeout)
		}
	}
}

func (c *Config) validatePush(p *problems) {
	ps := c.Push
	if !ps.Enabled {
		return
	}
	if ps.IdentityFile == "" {
		p.add("push.identity_file", "an SSH key is required")
	}
	if ps.KnownHosts == "" {
		p.add("push.known_hosts", "a known_hosts file with the mirrors' host keys is required")
	}
	if ps.Concurrency < 1 || ps.Concurrency > 256 {
		p.add("push.concurrency", "%d must be between 1 and 256", ps.Concurrency)
	}
	if ps.Timeout.Duration <= 0 || ps.Timeout.Duration > time.Hour {
		p.add("push.timeout", "%s must be between 0s and 1h", ps.Timeout)
	}
	for i, t := range ps.Targets {
		key := fmt.Sprintf("push.targets[%d]", i)
		if t.Name == "" {
			p.add(key+".name", "must not be empty")
		}
		if _, _, err := net.SplitHostPort(t.Address); err != nil {
			p.add(key+".address", "%q is not host:port", t.Address)
		}
		if t.User == "" {
			p.add(key+".user", "must not be empty")
		}
		for j, tree := range t.Trees {
			if c.Layout().Index(tree) < 0 {
				p.add(fmt.Sprintf("%s.trees[%d]", key, j), "no tree %q", tree)
			}
		}
	}
}

// SFTPUserHost splits user@host:port.
func SFTPUserHost(s string) (user, addr string, err error) { return splitUserHost(s) }

func splitUserHost(s string) (string, string, error) {
	user, addr, ok := strings.Cut(s, "@")
	if !ok || user == "" {
		return "", "", fmt.Errorf("%q must be user@host:port", s)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("%q must be user@host:port: %v", s, err)
	}
	return user, addr, nil
}
