package config

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// DNSSEC modes.
const (
	ModeOff        = "off"         // no validation
	ModeResolverAD = "resolver-ad" // trust the AD bit of a trusted resolver
	ModePinned     = "pinned"      // the agent validates against pinned DS/DNSKEY
)

// Config is agent.toml.
type Config struct {
	// Mirror names this mirror in check-ins and sync-source requests.
	Mirror      string           `toml:"mirror"`
	Signal      Signal           `toml:"signal"`
	DNS         DNS              `toml:"dns"`
	DNSSEC      DNSSEC           `toml:"dnssec"`
	Sync        Sync             `toml:"sync"`
	Trees       map[string]*Tree `toml:"trees"`
	Checkin     Checkin          `toml:"checkin"`
	SyncSources SyncSources      `toml:"sync_sources"`
	Log         Log              `toml:"log"`
}

// Signal says which record to read and how to read it.
type Signal struct {
	Name    string   `toml:"name"`     // e.g. current.mirrors.example.test.
	Layout  []string `toml:"layout"`   // every tree of the record, in order; checked against _trees
	MaxSkew Duration `toml:"max_skew"` // stamps further in the future are refused
}

// DNS says whom to ask. Resolvers get recursive queries; authoritative
// servers get non-recursive ones and must answer with AA; DoH endpoints
// (https URLs, RFC 8484, e.g. signald's /dns-query) get recursive queries
// over HTTPS, for networks that block port 53. Set one of the three; when
// none is set the nameservers of /etc/resolv.conf are used as resolvers.
type DNS struct {
	Resolvers     []string `toml:"resolvers"`
	Authoritative []string `toml:"authoritative"`
	DoH           []string `toml:"doh"`
	Timeout       Duration `toml:"timeout"`  // per query
	Attempts      int      `toml:"attempts"` // rounds over all servers
}

// DNSSEC says how the answer is authenticated.
type DNSSEC struct {
	Mode             string   `toml:"mode"`
	RequireDNSSEC    bool     `toml:"require_dnssec"`
	TrustedResolvers []string `toml:"trusted_resolvers"` // resolver-ad: whose AD bit counts
	Pins             []string `toml:"pins"`              // pinned: DS or DNSKEY records, zone file syntax
	MaxSignatureAge  Duration `toml:"max_signature_age"` // refuse an RRSIG whose inception is older
}

// Sync holds the settings shared by all trees.
type Sync struct {
	Rsync          string   `toml:"rsync"`           // rsync binary (or a wrapper)
	Options        []string `toml:"options"`         // extra rsync options, e.g. --bwlimit=10m
	LockFile       string   `toml:"lock_file"`       // never deleted; 0600, the agent user's own
	StateFile      string   `toml:"state_file"`      // last success per tree
	Jitter         Duration `toml:"jitter"`          // run/daemon sleep uniform in [0, jitter]
	DaemonInterval Duration `toml:"daemon_interval"` // daemon: pause between passes (plus jitter)
	MaxInterval    Duration `toml:"max_interval"`    // unconditional sync after this long
	ConnectTimeout Duration `toml:"connect_timeout"` // rsync --contimeout (daemon sources)
	IOTimeout      Duration `toml:"io_timeout"`      // rsync --timeout
	RunTimeout     Duration `toml:"run_timeout"`     // kill one rsync run after this long; 0 = never
	MaxRounds      int      `toml:"max_rounds"`      // re-query rounds when the signal moves during a sync
	// MaxDeleteShare caps a run's deletions at this share of the local
	// tree's entries (rsync --max-delete); 0 turns the guard off.
	MaxDeleteShare float64 `toml:"max_delete_share"`
}

// Tree is one content tree this mirror carries.
type Tree struct {
	Path     string   `toml:"path"`      // local root
	TimeFile string   `toml:"time_file"` // relative to Path
	Sources  []string `toml:"sources"`   // rsync sources, tried in order
	Excludes []string `toml:"excludes"`  // extra --exclude patterns
	TwoStage bool     `toml:"two_stage"` // packages first, then metadata and deletions
	Metadata []string `toml:"metadata"`  // what stage one leaves out
	// MaxDeleteShare overrides sync.max_delete_share for this tree.
	MaxDeleteShare *float64 `toml:"max_delete_share"`
}

// Checkin is the signed report sent after a sync.
type Checkin struct {
	URL       string   `toml:"url"`
	Token     string   `toml:"token"`
	TokenFile string   `toml:"token_file"`
	Timeout   Duration `toml:"timeout"`
}

// SyncSources is the signed sync-source advice.
type SyncSources struct {
	URL       string   `toml:"url"`
	PublicKey string   `toml:"public_key"` // base64 Ed25519 public key
	Allow     []string `toml:"allow"`      // host names, or "*.example.org"
	Timeout   Duration `toml:"timeout"`
}

// Log says where the structured log goes. Records at stderr_level or above
// also go to stderr, so cron mails only errors.
type Log struct {
	File        string `toml:"file"`
	Level       string `toml:"level"`
	StderrLevel string `toml:"stderr_level"`
	Format      string `toml:"format"` // text or json
}

// DefaultMetadata is what stage one of a two-stage sync leaves out: the
// repository metadata of yum/dnf and apt, which must only change once the
// packages it names are in place.
func DefaultMetadata() []string {
	return []string{"repodata/", "repomd.xml*", "Release", "Release.gpg", "InRelease",
		"Packages*", "Sources*", "Contents-*", "i18n/", "ls-lR*"}
}

// DefaultTimeFile is the TIME file name of a tree.
const DefaultTimeFile = "TIME"

// Default returns the configuration before the file is read.
func Default() *Config {
	return &Config{
		Signal: Signal{Name: "current.mirrors.example.test.", MaxSkew: Duration(5 * time.Minute)},
		DNS:    DNS{Timeout: Duration(3 * time.Second), Attempts: 2},
		DNSSEC: DNSSEC{Mode: ModeOff, MaxSignatureAge: Duration(signal.DefaultMaxSignatureAge)},
		Sync: Sync{
			Rsync:          "rsync",
			LockFile:       "./var/mirror-agent.lock",
			StateFile:      "./var/mirror-agent.state",
			Jitter:         Duration(5 * time.Minute),
			DaemonInterval: Duration(15 * time.Minute),
			MaxInterval:    Duration(24 * time.Hour),
			ConnectTimeout: Duration(30 * time.Second),
			IOTimeout:      Duration(10 * time.Minute),
			RunTimeout:     Duration(12 * time.Hour),
			MaxRounds:      3,
			MaxDeleteShare: 0.5,
		},
		Checkin:     Checkin{Timeout: Duration(10 * time.Second)},
		SyncSources: SyncSources{Timeout: Duration(10 * time.Second)},
		Log:         Log{Level: "info", StderrLevel: "error", Format: "text"},
	}
}

// TreeNames returns the configured trees in layout order.
func (c *Config) TreeNames() []string {
	var out []string
	for _, name := range c.Signal.Layout {
		if _, ok := c.Trees[name]; ok {
			out = append(out, name)
		}
	}
	return out
}
