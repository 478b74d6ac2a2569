// Package status is the read model of signald: one immutable Snapshot of
// everything the public HTTP surfaces show (the status page, the JSON API,
// the archweb JSON, the mirrorlist and the metalink).
//
// On a primary, the status builder (see Builder) makes a new Snapshot
// whenever the zone, the checker's view, the name-server watch or the
// master's repository metadata change, and hands it to the Hub. The
// surfaces read Hub.Current, or subscribe to rebuild their caches. A
// read-only replica (server/replica) loads the Snapshot a primary exports,
// in the JSON form these types define, and sets it on its own Hub.
//
// The package imports the standard library only. Its JSON field names are
// the export format: add fields, never rename them, and bump Format when a
// replica of the old version could not read a new snapshot.
package status

import "time"

// Format is the version of the exported JSON form.
const Format = 1

// Tree states a mirror can be in for a tree, best first (the checker's
// states).
const (
	Fresh        = "fresh"
	Behind       = "behind"
	Inconsistent = "inconsistent"
	Error        = "error"
	Unreachable  = "unreachable"
	Unknown      = "unknown"
)

// Snapshot is the whole read model at one moment. It is immutable: share it,
// never change it.
type Snapshot struct {
	Format    int       `json:"format"`
	Generated time.Time `json:"generated"`
	// Primary names the signald that built it (its zone), for replicas.
	Signal      Signal       `json:"signal"`
	NameServers []NameServer `json:"nameservers"`
	Trees       []Tree       `json:"trees"`   // in record order
	Mirrors     []Mirror     `json:"mirrors"` // in mirrors.toml order
	Events      []Event      `json:"events"`  // newest first
	Repos       []Repo       `json:"repos"`   // one per repo and arch
	Checker     Checker      `json:"checker"`
}

// Signal is the record being served.
type Signal struct {
	Zone   string `json:"zone"`   // the zone origin, with the final dot
	Name   string `json:"name"`   // the signal's owner name, with the final dot
	Record string `json:"record"` // the TXT string
	Serial uint32 `json:"serial"`
	DNSSEC DNSSEC `json:"dnssec"`
	Loaded bool   `json:"loaded"` // false until the zone is built
}

// DNSSEC is the zone's signing state.
type DNSSEC struct {
	Signed  bool      `json:"signed"`
	Expiry  time.Time `json:"expiry,omitzero"` // the earliest RRSIG expiry
	KeyTags []uint16  `json:"key_tags,omitempty"`
}

// NameServer is one authoritative server as the name-server watch saw it.
type NameServer struct {
	Name    string    `json:"name"`    // NS name, or the secondary's label
	Address string    `json:"address"` // host:port asked
	Serial  uint32    `json:"serial"`  // the serial it served; 0 when none
	Record  string    `json:"record"`  // the signal it served
	State   string    `json:"state"`   // "ok", "lagging", "wrong", "error", "unreachable", "unknown"
	Err     string    `json:"error,omitempty"`
	At      time.Time `json:"checked,omitzero"`
	// Since is when signald first served a serial newer than the one it
	// served; zero when in step.
	Since time.Time `json:"stale_since,omitzero"`
}

// Tree is one content tree of the record.
type Tree struct {
	Name  string `json:"name"`
	Stamp int64  `json:"stamp"` // published time, Unix seconds; 0 when never
	// Master is where the master copy is served over HTTP(S) (the tree's
	// repo_base), the mirrorlist's fallback when no mirror is fresh; ""
	// when not configured.
	Master string `json:"master,omitempty"`
	// Counts is how many mirrors carrying the tree are in each state.
	Counts map[string]int `json:"counts"`
}

// Mirror is one mirror with its checker state.
type Mirror struct {
	Name       string       `json:"name"`
	Country    string       `json:"country,omitempty"`   // ISO 3166-1 alpha-2, upper case
	Continent  string       `json:"continent,omitempty"` // two-letter code (EU, NA, …)
	Tier       int          `json:"tier"`
	Admin      string       `json:"admin,omitempty"`     // contact, as configured (untrusted text)
	Bandwidth  int          `json:"bandwidth,omitempty"` // Mbit/s, the mirrorlist's weight
	Netblocks  []string     `json:"netblocks,omitempty"` // CIDR prefixes
	Families   []string     `json:"families,omitempty"`  // "ipv4", "ipv6"; empty: either
	SyncSource bool         `json:"sync_source,omitempty"`
	Trees      []MirrorTree `json:"trees"` // in record order, those it carries
}

// MirrorTree is one tree on one mirror.
type MirrorTree struct {
	Tree string `json:"tree"`
	// URLs are the tree's base URLs by protocol ("http", "https", "rsync").
	URLs map[string]string `json:"urls"`
	// The best of the latest probes.
	State      string    `json:"state"`
	Stamp      int64     `json:"stamp"`  // TIME seen; 0 when none
	Signal     int64     `json:"signal"` // the tree's signal when checked
	LagSeconds int64     `json:"lag_seconds"`
	Checked    time.Time `json:"checked,omitzero"`
	Err        string    `json:"error,omitempty"`
	// Notified is the state after hysteresis (what alerts report).
	Notified string `json:"notified"`
	// Probes are the latest result per protocol and IP family.
	Probes []Probe `json:"probes"`
	// Recent are the last results from the history, newest first.
	Recent []Probe `json:"recent,omitempty"`
	// Days is the history per UTC day, oldest first, up to 30 days.
	Days    []Day    `json:"days,omitempty"`
	Figures *Figures `json:"figures,omitempty"`
}

// Probe is one probe's outcome.
type Probe struct {
	Proto          string    `json:"protocol"`
	Family         string    `json:"family,omitempty"` // "" = any
	State          string    `json:"state"`
	At             time.Time `json:"at"`
	Stamp          int64     `json:"stamp"`
	LagSeconds     int64     `json:"lag_seconds"`
	LatencySeconds float64   `json:"latency_seconds"`
	Err            string    `json:"error,omitempty"`
}

// Day is one UTC day of a mirror's history for a tree.
type Day struct {
	Date         string  `json:"date"` // YYYY-MM-DD
	Checks       int     `json:"checks"`
	FreshPercent float64 `json:"fresh_percent"` // share of checks that saw it fresh
	MaxLag       int64   `json:"max_lag_seconds"`
	Worst        string  `json:"worst"` // the worst state seen that day
}

// Figures are a mirror's service-level figures for a tree.
type Figures struct {
	Fresh7d  float64 `json:"fresh_percent_7d"`
	Fresh30d float64 `json:"fresh_percent_30d"`
	LagP50   int64   `json:"lag_p50_seconds"` // over 30 days
	LagP95   int64   `json:"lag_p95_seconds"`
}

// Event is one publish of a tree and how it propagated.
type Event struct {
	ID        string    `json:"id"` // "<tree>-<stamp>"
	Tree      string    `json:"tree"`
	Stamp     int64     `json:"stamp"`
	Published time.Time `json:"published"` // the stamp as a time: the curve's origin
	Learned   time.Time `json:"learned"`   // when the checker saw the signal move
	Carrying  int       `json:"carrying"`  // mirrors carrying the tree then
	Fresh     int       `json:"fresh"`     // of those, seen fresh so far
	Reached   []Reached `json:"reached"`   // 50, 80, 95, 99, 100 % when reached
	Curve     []Point   `json:"curve"`     // share fresh over time, a step function
	Gate      *Gate     `json:"gate,omitempty"`
}

// Reached is the time from publish to a share of the mirrors fresh.
type Reached struct {
	Percent      int     `json:"percent"`
	AfterSeconds float64 `json:"after_seconds"`
}

// Point is one step of a propagation curve.
type Point struct {
	AfterSeconds float64 `json:"after_seconds"`
	Percent      float64 `json:"percent"`
}

// Gate is the tier-1 quorum gate of the publish, when signald published it.
type Gate struct {
	PublishID int64      `json:"publish_id"`
	Quorum    int        `json:"quorum"`
	Started   time.Time  `json:"started"`
	Committed time.Time  `json:"committed,omitzero"` // zero: not committed
	Hosts     []GateHost `json:"hosts"`
}

// GateHost is one tier-1 host the gate waited for.
type GateHost struct {
	Host      string    `json:"host"`
	FirstSeen time.Time `json:"first_seen,omitzero"` // zero: never seen with the stamp
}

// Repo is one repo and architecture, for the mirrorlist and metalink.
type Repo struct {
	Name string `json:"name"`
	Arch string `json:"arch"`
	Tree string `json:"tree"`
	Path string `json:"path"` // under the tree's base URL, $arch expanded
	// Versions are the master's repomd.xml versions, newest first: the
	// current one, then those still accepted as alternates. Empty when
	// the master's repomd.xml has not been read.
	Versions []RepomdVersion `json:"versions,omitempty"`
}

// RepomdVersion is one version of a repo's repomd.xml on the master.
type RepomdVersion struct {
	Size      int64     `json:"size"`
	Timestamp int64     `json:"timestamp"` // the newest <timestamp> inside, else the HTTP Last-Modified
	MD5       string    `json:"md5"`
	SHA1      string    `json:"sha1"`
	SHA256    string    `json:"sha256"`
	SHA512    string    `json:"sha512"`
	Seen      time.Time `json:"seen"`              // first read on the master
	Replaced  time.Time `json:"replaced,omitzero"` // when a newer one was read; zero for the current
}

// Checker says whether the checker runs and how far it got.
type Checker struct {
	Enabled bool      `json:"enabled"`
	At      time.Time `json:"at,omitzero"` // the view's time; zero before the first
}
