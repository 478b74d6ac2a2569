package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"

	"github.com/BurntSushi/toml"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
)

// Config is the whole of signald.toml.
type Config struct {
	// StateDir holds the store, the admin token and, later, keys. A relative
	// path is taken from signald's working directory.
	StateDir string      `toml:"state_dir"`
	Zone     Zone        `toml:"zone"`
	Trees    []Tree      `toml:"trees"`
	DNS      DNS         `toml:"dns"`
	HTTP     HTTP        `toml:"http"`
	Admin    Admin       `toml:"admin"`
	Publish  Publish     `toml:"publish"`
	DNSSEC   DNSSEC      `toml:"dnssec"`
	TSIG     []TSIG      `toml:"tsig"`
	Transfer Transfer    `toml:"transfer"`
	Notify   []Secondary `toml:"notify"`
	Push     Push        `toml:"push"`
	Checker  Checker     `toml:"checker"`
	NSCheck  NSCheck     `toml:"nscheck"`
	Alert    Alert       `toml:"alert"`
	Log      Log         `toml:"log"`
	// Role is "primary" (default: everything configured runs) or
	// "mirrorlist" (a read-only replica serving the public HTTP surfaces
	// from a primary's exported status; see Replica).
	Role       string     `toml:"role"`
	Status     Status     `toml:"status"`
	Mirrorlist Mirrorlist `toml:"mirrorlist"`
	Replica    Replica    `toml:"replica"`

	dir string // of the file parsed; relative mirrors_file is under it
}

// Zone describes the signal zone.
type Zone struct {
	Origin     string       `toml:"origin"`
	SignalName string       `toml:"signal_name"` // relative to origin, or a name ending in "."
	SignalTTL  Duration     `toml:"signal_ttl"`
	TTL        Duration     `toml:"ttl"`
	SOA        SOA          `toml:"soa"`
	NS         []NameServer `toml:"ns"`
}

// SOA holds the SOA fields other than the serial, which the store owns.
type SOA struct {
	MName   string   `toml:"mname"`
	RName   string   `toml:"rname"`
	Refresh Duration `toml:"refresh"`
	Retry   Duration `toml:"retry"`
	Expire  Duration `toml:"expire"`
	Minimum Duration `toml:"minimum"`
}

// NameServer is one NS of the zone; Addresses are served as glue when the
// name lies inside the zone.
type NameServer struct {
	Name      string   `toml:"name"`
	Addresses []string `toml:"addresses"`
}

// Tree is one content tree, in record order.
type Tree struct {
	Name string `toml:"name"`
	// Quorum is how many of the tree's tier-1 hosts (mirrors.toml, tier = 1)
	// must serve a new stamp before it is committed: "all" (default),
	// "majority" or a number.
	Quorum string `toml:"quorum"`
	// Masters are where the TIME file is planted first; all must succeed.
	Masters []Master `toml:"masters"`
	// RepoBase is the master's http(s) URL of the tree's root, ending in
	// "/": the checker compares each mirror's repodata/repomd.xml of the
	// mirrors.toml [[repo]]s of the tree with the one found under it.
	// Empty: the tree's repos are not checked.
	RepoBase string `toml:"repo_base"`
}

// DNS configures the authoritative server.
type DNS struct {
	Enabled           bool     `toml:"enabled"`
	Listen            string   `toml:"listen"`
	MaxUDPSize        int      `toml:"max_udp_size"`
	TCPIdleTimeout    Duration `toml:"tcp_idle_timeout"`
	MaxTCPConnections int      `toml:"max_tcp_connections"`
	RRL               RRL      `toml:"rrl"`
}

// RRL configures response rate limiting of UDP answers, per source prefix,
// as NSD and Knot do it; TCP is never limited.
type RRL struct {
	Enabled bool `toml:"enabled"`
	// Rate is the answers per second each prefix gets (a burst of one
	// second's worth); beyond it answers are dropped or slipped.
	Rate int `toml:"rate"`
	// Slip: every Slip-th limited answer goes out truncated, so a real
	// client retries over TCP; 0 drops them all, 1 truncates them all.
	Slip       int      `toml:"slip"`
	IPv4Prefix int      `toml:"ipv4_prefix"`
	IPv6Prefix int      `toml:"ipv6_prefix"`
	Exempt     []string `toml:"exempt"`     // prefixes (or addresses) never limited
	TableSize  int      `toml:"table_size"` // prefixes tracked at once
}

// HTTP configures the public HTTP listener (API, metrics, health).
type HTTP struct {
	Enabled bool   `toml:"enabled"`
	Listen  string `toml:"listen"`
}

// Publish configures publishing through the admin API.
type Publish struct {
	// TokenFile holds the bearer token of the admin API; signald creates it
	// (mode 0600) when it does not exist. Relative paths are under StateDir.
	TokenFile string `toml:"token_file"`
	// MaxFuture bounds how far ahead of signald's clock a published stamp
	// may lie.
	MaxFuture Duration `toml:"max_future"`
	// Mode is "serve" (signald serves the zone) or "rfc2136" (signald
	// pushes the TXT records into an existing primary by dynamic update).
	Mode    string  `toml:"mode"`
	RFC2136 RFC2136 `toml:"rfc2136"`
	// TimeFile is the name of each tree's TIME file on the masters.
	TimeFile string `toml:"time_file"`
	// MirrorsFile is mirrors.toml (relative to this file's directory); its
	// tier-1 hosts gate publishes. Empty: no gate.
	MirrorsFile string `toml:"mirrors_file"`
	// GateInterval is the pause between probe rounds of the tier-1 hosts,
	// GateTimeout how long a publish may wait for its quorum.
	GateInterval Duration `toml:"gate_interval"`
	GateTimeout  Duration `toml:"gate_timeout"`
	// HeartbeatInterval, when not 0, plants HeartbeatFile (the time now) on
	// every master that often, so mirrors' sync lag can be measured while
	// content does not change.
	HeartbeatInterval Duration `toml:"heartbeat_interval"`
	HeartbeatFile     string   `toml:"heartbeat_file"`
}

// RFC2136 is the primary that receives dynamic updates in mode "rfc2136".
type RFC2136 struct {
	Server  string   `toml:"server"`   // host:port of the primary
	Zone    string   `toml:"zone"`     // default: zone.origin
	TSIGKey string   `toml:"tsig_key"` // name of a [[tsig]] key; empty = unsigned
	Timeout Duration `toml:"timeout"`
	// Heartbeat re-pushes the signal this often with its TTL alternating by
	// one second, so the primary re-signs it and its RRSIG inception keeps
	// bounding an answer's age for agents' max_signature_age. At most
	// signal.SignatureHeartbeat (the contract with the agents' default).
	Heartbeat Duration `toml:"heartbeat"`
}

// TSIG is a shared hmac-sha256 key.
type TSIG struct {
	Name       string `toml:"name"`        // FQDN
	Secret     string `toml:"secret"`      // base64
	SecretFile string `toml:"secret_file"` // or: a file holding the base64 secret (relative to state_dir)
}

// Transfer says who may AXFR/IXFR the zone.
type Transfer struct {
	// AllowFrom lists prefixes allowed to transfer without TSIG.
	AllowFrom []string `toml:"allow_from"`
	// Keys lists [[tsig]] key names allowed to transfer from anywhere.
	Keys []string `toml:"keys"`
}

// Secondary is a server to NOTIFY on every change.
type Secondary struct {
	Address string `toml:"address"`  // host:port
	TSIGKey string `toml:"tsig_key"` // name of a [[tsig]] key; empty = unsigned
}

// DNSSEC configures signing.
type DNSSEC struct {
	// Enabled signs the zone with every key of the zone in KeyDir.
	Enabled bool `toml:"enabled"`
	// KeyDir holds K<zone>+<alg>+<tag>.{key,private}; relative to StateDir.
	KeyDir string `toml:"key_dir"`
	// Algorithm of generated keys: "ecdsap256" (13) or "ed25519" (15).
	Algorithm string `toml:"algorithm"`
	// Generate makes one combined key at start when KeyDir has none.
	Generate bool `toml:"generate"`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Default returns the configuration for local use: zone
// mirrors.example.test., DNS on 127.0.0.1:5353, HTTP on 127.0.0.1:8080,
// state in ./var.
func Default() Config {
	return Config{
		StateDir: "./var",
		Zone: Zone{
			Origin:     "mirrors.example.test.",
			SignalName: "current",
			SignalTTL:  dur(300 * time.Second),
			TTL:        dur(time.Hour),
			SOA: SOA{
				Refresh: dur(time.Hour),
				Retry:   dur(10 * time.Minute),
				Expire:  dur(14 * 24 * time.Hour),
				Minimum: dur(300 * time.Second),
			},
		},
		DNS: DNS{
			Enabled:           true,
			Listen:            "127.0.0.1:5353",
			MaxUDPSize:        dnsparams.DefaultMaxUDPSize,
			TCPIdleTimeout:    dur(dnsparams.DefaultTCPIdleTimeout),
			MaxTCPConnections: dnsparams.DefaultMaxTCPConns,
			RRL:               DefaultRRL(),
		},
		HTTP:  HTTP{Enabled: true, Listen: "127.0.0.1:8080"},
		Admin: DefaultAdmin(),
		Publish: Publish{TokenFile: "admin.token", MaxFuture: dur(5 * time.Minute), Mode: "serve",
			RFC2136:  RFC2136{Timeout: dur(5 * time.Second), Heartbeat: dur(signal.SignatureHeartbeat)},
			TimeFile: "TIME", GateInterval: dur(defaultGateInterval), GateTimeout: dur(defaultGateTimeout),
			HeartbeatFile: defaultHeartbeatFile},
		Push:    Push{Concurrency: defaultPushParallel, Timeout: dur(defaultPushTimeout)},
		Checker: DefaultChecker(),
		NSCheck: DefaultNSCheck(),
		Alert:   DefaultAlert(),
		DNSSEC:  DNSSEC{KeyDir: "keys", Algorithm: "ecdsap256"},
		Log:     Log{Level: "info", Format: "text"},
		Role:    "primary",
		Status:  DefaultStatus(),

		Mirrorlist: DefaultMirrorlist(),
		Replica:    DefaultReplica(),
	}
}

// DefaultRRL is rate limiting as NSD ships it (200 answers per second
// per /24, slip 2), with Knot's /56 for IPv6 rather than NSD's /64 (a
// site gets a /56 or /48, so /64 would let one site have 256 budgets).
// The table is smaller than NSD's million buckets (about 64 bytes each).
func DefaultRRL() RRL {
	return RRL{Enabled: true, Rate: 200, Slip: 2, IPv4Prefix: 24, IPv6Prefix: 56, Exempt: []string{}, TableSize: 1 << 16}
}

// Error is a configuration error naming the file and the key. It has the
// shape and message of the agent's config.KeyError: "file: key: reason",
// leaving out an empty file or key.
type Error struct {
	File, Key, Reason string
}

func (e *Error) Error() string {
	parts := make([]string, 0, 3)
	for _, s := range []string{e.File, e.Key, e.Reason} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Load reads path over the defaults, strictly, and validates the result.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, &Error{File: path, Reason: err.Error()}
	}
	return Parse(path, data)
}

// Parse decodes data (named path in errors) over the defaults and validates.
func Parse(path string, data []byte) (Config, error) {
	cfg := Default()
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return Config{}, decodeError(path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		errs := make([]error, len(und))
		for i, k := range und {
			errs[i] = &Error{File: path, Key: k.String(), Reason: "unknown key"}
		}
		return Config{}, errors.Join(errs...)
	}
	cfg.dir = filepath.Dir(path)
	cfg.normalize()
	if err := cfg.Validate(); err != nil {
		return Config{}, withFile(err, path)
	}
	return cfg, nil
}

// withFile names path as the file of every *Error joined in err.
func withFile(err error, path string) error {
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) {
			ce.File = path
		}
	}
	return err
}

func decodeError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: path, Key: pe.LastKey, Reason: fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)}
	}
	return &Error{File: path, Reason: err.Error()}
}

// normalize makes names fully qualified and lowercase.
func (c *Config) normalize() {
	c.Zone.Origin = fqdn(c.Zone.Origin)
	if c.Zone.SignalName != "" && !strings.HasSuffix(c.Zone.SignalName, ".") {
		c.Zone.SignalName = c.Zone.SignalName + "." + c.Zone.Origin
	}
	c.Zone.SignalName = strings.ToLower(c.Zone.SignalName)
	if c.Zone.SOA.MName == "" && len(c.Zone.NS) > 0 {
		c.Zone.SOA.MName = c.Zone.NS[0].Name
	}
	if c.Zone.SOA.RName == "" {
		c.Zone.SOA.RName = "hostmaster." + c.Zone.Origin
	}
	c.Zone.SOA.MName = fqdn(c.Zone.SOA.MName)
	c.Zone.SOA.RName = fqdn(c.Zone.SOA.RName)
	for i := range c.Zone.NS {
		c.Zone.NS[i].Name = fqdn(c.Zone.NS[i].Name)
	}
	for i := range c.TSIG {
		c.TSIG[i].Name = fqdn(c.TSIG[i].Name)
	}
	for i := range c.Transfer.Keys {
		c.Transfer.Keys[i] = fqdn(c.Transfer.Keys[i])
	}
	for i := range c.Notify {
		c.Notify[i].TSIGKey = fqdn(c.Notify[i].TSIGKey)
	}
	c.Publish.RFC2136.TSIGKey = fqdn(c.Publish.RFC2136.TSIGKey)
	if c.Publish.RFC2136.Zone == "" {
		c.Publish.RFC2136.Zone = c.Zone.Origin
	}
	c.Publish.RFC2136.Zone = fqdn(c.Publish.RFC2136.Zone)
}

func fqdn(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}
