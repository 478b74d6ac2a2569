// Package apiv1 holds the JSON types of signald's HTTP API, version 1. It
// imports the standard library only, so clients (signalctl, monitoring
// scripts) can use it without linking any server internals.
package apiv1

// Signal is the body of GET /api/v1/signal.
type Signal struct {
	Name      string          `json:"name"`
	Record    string          `json:"record"`
	Trees     []string        `json:"trees"`
	Serial    uint32          `json:"serial"`
	Published map[string]Tree `json:"published"`
	DNSSEC    DNSSEC          `json:"dnssec"`
}

// Tree is one tree's published time.
type Tree struct {
	Stamp int64  `json:"stamp"`
	Time  string `json:"time,omitempty"` // RFC 3339, absent when never published
}

// DNSSEC is the signing state of the zone served.
type DNSSEC struct {
	Signed bool `json:"signed"`
	// Expiry is the earliest RRSIG expiry (RFC 3339); absent when unsigned.
	Expiry  string   `json:"earliest_expiry,omitempty"`
	KeyTags []uint16 `json:"key_tags,omitempty"`
}

// PublishRequest is the body of POST /api/v1/admin/publish.
type PublishRequest struct {
	Tree  string `json:"tree"`
	At    int64  `json:"at,omitempty"` // Unix seconds; 0 = now
	Force bool   `json:"force,omitempty"`
}

// Publish is a publish as the admin API reports it: the answer to POST
// /api/v1/admin/publish and GET /api/v1/admin/publishes/{id}.
type Publish struct {
	ID        int64  `json:"id,omitempty"` // 0 when nothing was recorded (unchanged)
	Tree      string `json:"tree"`
	Stamp     int64  `json:"stamp"`
	Force     bool   `json:"force,omitempty"`
	State     string `json:"state"` // planned, planted, gating, committed, timed_out, failed, cancelled
	Reason    string `json:"reason,omitempty"`
	Created   string `json:"created,omitempty"`  // RFC 3339
	Updated   string `json:"updated,omitempty"`  // RFC 3339
	Deadline  string `json:"deadline,omitempty"` // end of the gate, RFC 3339
	Previous  int64  `json:"previous"`           // committed: the tree's stamp before
	Serial    uint32 `json:"serial,omitempty"`   // committed: the serial of the commit
	Event     int64  `json:"event,omitempty"`    // committed: the event id
	Unchanged bool   `json:"unchanged,omitempty"`
	Record    string `json:"record,omitempty"` // committed: the signal after the commit
	Tier1     *Gate  `json:"tier1,omitempty"`
}

// PublishResponse is the answer to POST /api/v1/admin/publish.
type PublishResponse = Publish

// Gate is the tier-1 quorum gate of a publish.
type Gate struct {
	Need    int        `json:"need"`  // hosts needed for the quorum (0: not known yet)
	Total   int        `json:"total"` // tier-1 hosts carrying the tree
	Seen    []HostSeen `json:"seen"`
	Awaited []Awaited  `json:"awaited,omitempty"`
}

// HostSeen is a tier-1 host first seen serving the new stamp.
type HostSeen struct {
	Host      string `json:"host"`
	Stamp     int64  `json:"stamp"`
	FirstSeen string `json:"first_seen"` // RFC 3339
}

// Awaited is a tier-1 host not yet serving the stamp, with its last probe's
// result.
type Awaited struct {
	Host  string `json:"host"`
	Error string `json:"error,omitempty"`
}

// Publishes is the body of GET /api/v1/admin/publishes.
type Publishes struct {
	Publishes []Publish `json:"publishes"`
}

// Paths of the API, shared by the server and its clients.
const (
	PathSignal    = "/api/v1/signal"
	PathPublish   = "/api/v1/admin/publish"
	PathPublishes = "/api/v1/admin/publishes" // + "/{id}", + "/{id}/cancel"
)
