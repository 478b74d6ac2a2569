package apiv1

// The read-only status API on the public listener: GET /api/v1/mirrors,
// /api/v1/mirrors/{name}, /api/v1/events and /api/v1/events/{id}. Field
// names are stable snake_case; times are RFC 3339 in UTC (absent when
// unknown), durations are *_seconds numbers.

// Paths of the status API.
const (
	PathMirrors = "/api/v1/mirrors" // + "/{name}" (the name path-escaped)
	PathEvents  = "/api/v1/events"  // + "/{id}"
	// PathArchweb is the Arch Linux archweb-compatible status document.
	PathArchweb = "/mirrors/status/json/"
)

// Query parameters of GET /api/v1/mirrors.
const (
	ParamTree    = "tree"    // only mirrors carrying the tree, and only that tree's state
	ParamState   = "state"   // only mirrors in this state (for tree=, else for any tree)
	ParamCountry = "country" // only mirrors in this ISO 3166-1 alpha-2 country
)

// States a mirror can be in for a tree, best first.
var States = []string{"fresh", "behind", "inconsistent", "error", "unreachable", "unknown"}

// Mirrors is the body of GET /api/v1/mirrors.
type Mirrors struct {
	Generated string       `json:"generated"` // when the snapshot was built
	Trees     []TreeStatus `json:"trees"`     // in record order
	Mirrors   []Mirror     `json:"mirrors"`   // in mirrors.toml order
}

// TreeStatus is one content tree and how many mirrors carrying it are in
// each state.
type TreeStatus struct {
	Name      string `json:"name"`
	Stamp     int64  `json:"stamp"`               // published time, Unix seconds; 0 never
	Published string `json:"published,omitempty"` // the stamp as RFC 3339
	// Counts maps each state to the number of mirrors in it; every state
	// is present.
	Counts       map[string]int `json:"counts"`
	Carrying     int            `json:"carrying"`      // mirrors carrying the tree
	FreshPercent float64        `json:"fresh_percent"` // 100·fresh/carrying; 0 when none carry it
}

// Mirror is one mirror: in the list its per-tree summary, alone
// (GET /api/v1/mirrors/{name}) also its URLs, probes and history.
type Mirror struct {
	Name       string       `json:"name"`
	Country    string       `json:"country,omitempty"`   // ISO 3166-1 alpha-2
	Continent  string       `json:"continent,omitempty"` // AF, AN, AS, EU, NA, OC, SA
	Tier       int          `json:"tier"`
	Protocols  []string     `json:"protocols"`          // of any tree, sorted
	Families   []string     `json:"families,omitempty"` // "ipv4", "ipv6" probed apart; absent: either
	Bandwidth  int          `json:"bandwidth_mbps,omitempty"`
	SyncSource bool         `json:"sync_source"`
	Trees      []MirrorTree `json:"trees"` // in record order
}

// MirrorTree is one tree on one mirror.
type MirrorTree struct {
	Tree string `json:"tree"`
	// State is the best of the latest probes; Notified the state after
	// hysteresis (what alerts report).
	State      string   `json:"state"`
	Notified   string   `json:"notified,omitempty"`
	Stamp      int64    `json:"stamp"`                // TIME seen, Unix seconds; 0 when none
	StampTime  string   `json:"stamp_time,omitempty"` // the TIME as RFC 3339
	Signal     int64    `json:"signal"`               // the tree's signal it was judged against
	LagSeconds int64    `json:"lag_seconds"`          // signal − TIME when behind, else 0
	LastCheck  string   `json:"last_check,omitempty"`
	Error      string   `json:"error,omitempty"`
	History    *History `json:"history,omitempty"`

	// Only in GET /api/v1/mirrors/{name}:
	URLs   map[string]string `json:"urls,omitempty"`   // base URL by protocol
	Probes []Probe           `json:"probes,omitempty"` // latest per protocol and family
	Recent []Probe           `json:"recent,omitempty"` // last results, newest first
	Days   []Day             `json:"days,omitempty"`   // per UTC day, oldest first, up to 30
}

// History is a mirror's service-level figures for a tree.
type History struct {
	FreshPercent7d  float64 `json:"fresh_percent_7d"`
	FreshPercent30d float64 `json:"fresh_percent_30d"`
	LagP50Seconds   int64   `json:"lag_p50_seconds"` // over 30 days
	LagP95Seconds   int64   `json:"lag_p95_seconds"`
}

// Probe is one probe's outcome.
type Probe struct {
	Protocol       string  `json:"protocol"`
	Family         string  `json:"family,omitempty"` // absent: either
	State          string  `json:"state"`
	At             string  `json:"at"`
	Stamp          int64   `json:"stamp"`
	LagSeconds     int64   `json:"lag_seconds"`
	LatencySeconds float64 `json:"latency_seconds"`
	Error          string  `json:"error,omitempty"`
}

// Day is one UTC day of a mirror's history for a tree.
type Day struct {
	Date          string  `json:"date"` // YYYY-MM-DD
	Checks        int     `json:"checks"`
	FreshPercent  float64 `json:"fresh_percent"`
	MaxLagSeconds int64   `json:"max_lag_seconds"`
	Worst         string  `json:"worst"`
}

// Events is the body of GET /api/v1/events.
type Events struct {
	Generated string  `json:"generated"`
	Events    []Event `json:"events"` // newest first
}

// Event is one publish of a tree and how it propagated. The list leaves
// out Curve; GET /api/v1/events/{id} has it.
type Event struct {
	ID           string     `json:"id"` // "<tree>-<stamp>"
	Tree         string     `json:"tree"`
	Stamp        int64      `json:"stamp"`
	Published    string     `json:"published"`         // the stamp as RFC 3339: the curve's origin
	Learned      string     `json:"learned,omitempty"` // when the checker saw the signal move
	Carrying     int        `json:"carrying"`          // mirrors carrying the tree then
	Fresh        int        `json:"fresh"`             // of those, seen fresh so far
	FreshPercent float64    `json:"fresh_percent"`
	Reached      []Reached  `json:"reached"` // 50, 80, 95, 99, 100 % once reached
	Curve        []Point    `json:"curve,omitempty"`
	Gate         *EventGate `json:"gate,omitempty"`
}

// Reached is the time from publish to a share of the mirrors fresh.
type Reached struct {
	Percent      int     `json:"percent"`
	AfterSeconds float64 `json:"after_seconds"`
}

// Point is one step of a propagation curve: the share fresh after a time.
type Point struct {
	AfterSeconds float64 `json:"after_seconds"`
	Percent      float64 `json:"percent"`
}

// EventGate is the tier-1 quorum gate signald held the publish behind.
type EventGate struct {
	PublishID int64      `json:"publish_id"`
	Quorum    int        `json:"quorum"`
	Started   string     `json:"started"`
	Committed string     `json:"committed,omitempty"` // absent: not committed
	Hosts     []GateHost `json:"hosts"`
}

// GateHost is one tier-1 host the gate waited for.
type GateHost struct {
	Host      string `json:"host"`
	FirstSeen string `json:"first_seen,omitempty"` // absent: never seen with the stamp
}

// Error is the body of every 4xx/5xx answer of the status API: one line.
type Error struct {
	Error string `json:"error"`
}

// Archweb is Arch Linux archweb's mirror status document, version 3
// (GET /mirrors/status/json/), so tools that rank Arch mirrors (reflector,
// rate-mirrors) read it unchanged. Times are ISO 8601 in UTC.
type Archweb struct {
	Cutoff         int64        `json:"cutoff"`          // seconds of history the figures cover
	LastCheck      string       `json:"last_check"`      // newest check
	NumChecks      int          `json:"num_checks"`      // checks per URL within the cutoff
	CheckFrequency int64        `json:"check_frequency"` // seconds between checks of a URL
	URLs           []ArchwebURL `json:"urls"`
	Version        int          `json:"version"` // 3
}

// ArchwebURL is one mirror URL of an archweb status document. Pointers
// are null when unknown.
type ArchwebURL struct {
	URL            string   `json:"url"`
	Protocol       string   `json:"protocol"`
	LastSync       *string  `json:"last_sync"`
	CompletionPct  float64  `json:"completion_pct"` // 0–1
	Delay          *int64   `json:"delay"`          // seconds
	DurationAvg    *float64 `json:"duration_avg"`
	DurationStddev *float64 `json:"duration_stddev"`
	Score          *float64 `json:"score"` // lower is better
	Active         bool     `json:"active"`
	Country        string   `json:"country"`
	CountryCode    string   `json:"country_code"`
	ISOs           bool     `json:"isos"`
	IPv4           bool     `json:"ipv4"`
	IPv6           bool     `json:"ipv6"`
	Details        string   `json:"details"`
}
