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

// PublishResponse is its answer.
type PublishResponse struct {
	Tree      string `json:"tree"`
	Stamp     int64  `json:"stamp"`
	Previous  int64  `json:"previous"`
	Serial    uint32 `json:"serial"`
	Event     int64  `json:"event,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
	Record    string `json:"record"`
}

// Paths of the API, shared by the server and its clients.
const (
	PathSignal  = "/api/v1/signal"
	PathPublish = "/api/v1/admin/publish"
)
