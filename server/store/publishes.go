package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// States of a publish. The first three are pending; the rest are final.
const (
	Planned   = "planned"   // accepted, nothing done yet
	Planted   = "planted"   // the TIME file is on every master
	Gating    = "gating"    // waiting for the tier-1 quorum
	Committed = "committed" // the signal carries the stamp
	TimedOut  = "timed_out" // the quorum was not reached in time; DNS unchanged
	Failed    = "failed"    // planting or committing failed; DNS unchanged
	Cancelled = "cancelled" // by the operator, or superseded by a newer publish
)

// ErrNotPending is returned when a publish is asked to move on but has
// already ended (committed, cancelled, superseded, …).
var ErrNotPending = errors.New("publish is no longer pending")

// ErrNoPublish is returned for an unknown publish id.
var ErrNoPublish = errors.New("no such publish")

// Pending reports whether state is one a publish can still move on from.
func Pending(state string) bool { return state == Planned || state == Planted || state == Gating }

// Publish is one publish request and how far it got.
type Publish struct {
	ID       int64
	Tree     string
	Stamp    int64
	Forced   bool
	State    string
	Reason   string // why it failed, timed out or was cancelled
	Created  time.Time
	Updated  time.Time
	Deadline time.Time // end of the gate; zero before gating
	EventID  int64     // the committed event; 0 before
	Hosts    []HostSeen
}

// HostSeen is when a tier-1 host was first seen serving the new stamp.
type HostSeen struct {
	Host      string
	Stamp     int64 // the TIME it served then
	FirstSeen time.Time
}

const publishCols = "id, tree, stamp, forced, state, reason, created, updated, deadline, event_id"

// CreatePublish records a new publish of tree as planned. Pending
// publishes of the same tree are cancelled in the same transaction: the
// newer request supersedes them. It returns the new publish and the ids it
// superseded.
func (s *Store) CreatePublish(ctx context.Context, tree string, stamp int64, force bool, now time.Time) (Publish, []int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Publish{}, nil, fmt.Errorf("record publish: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "INSERT INTO publishes(tree, stamp, forced, state, created, updated) VALUES(?, ?, ?, ?, ?, ?)",
		tree, stamp, force, Planned, now.Unix(), now.Unix())
	if err != nil {
		return Publish{}, nil, fmt.Errorf("record publish: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Publish{}, nil, fmt.Errorf("record publish: %w", err)
	}
	superseded, err := supersede(ctx, tx, tree, id, now)
	if err != nil {
		return Publish{}, nil, err
	}
	if err := s.commit(tx); err != nil {
		return Publish{}, nil, err
	}
	p := Publish{ID: id, Tree: tree, Stamp: stamp, Forced: force, State: Planned, Created: unixUTC(now.Unix()), Updated: unixUTC(now.Unix())}
	return p, superseded, nil
}

func supersede(ctx context.Context, tx *sql.Tx, tree string, id int64, now time.Time) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM publishes WHERE tree = ? AND id <> ? AND state IN (?, ?, ?)", tree, id, Planned, Planted, Gating)
	if err != nil {
		return nil, fmt.Errorf("record publish: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var old int64
		if err := rows.Scan(&old); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record publish: %w", err)
		}
		ids = append(ids, old)
	}
	rows.Close()
	for _, old := range ids {
		reason := fmt.Sprintf("superseded by publish %d of the same tree", id)
		if _, err := tx.ExecContext(ctx, "UPDATE publishes SET state = ?, reason = ?, updated = ? WHERE id = ?", Cancelled, reason, now.Unix(), old); err != nil {
			return nil, fmt.Errorf("record publish: %w", err)
		}
	}
	return ids, nil
}

// Advance moves a pending publish to state (with reason, for a final
// state). A publish that has already ended is left alone: ErrNotPending.
func (s *Store) Advance(ctx context.Context, id int64, state, reason string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, "UPDATE publishes SET state = ?, reason = ?, updated = ? WHERE id = ? AND state IN (?, ?, ?)",
		state, reason, now.Unix(), id, Planned, Planted, Gating)
	if err != nil {
		return fmt.Errorf("publish %d to %s: %w", id, state, err)
	}
	return s.changedOne(ctx, res, id)
}

// StartGate moves a pending publish to gating until deadline. A publish
// already gating keeps its first deadline (a restart resumes the gate, it
// does not extend it).
func (s *Store) StartGate(ctx context.Context, id int64, deadline, now time.Time) (time.Time, error) {
	res, err := s.db.ExecContext(ctx, "UPDATE publishes SET state = ?, deadline = CASE WHEN deadline = 0 THEN ? ELSE deadline END, updated = ? WHERE id = ? AND state IN (?, ?, ?)",
		Gating, deadline.Unix(), now.Unix(), id, Planned, Planted, Gating)
	if err != nil {
		return time.Time{}, fmt.Errorf("publish %d to gating: %w", id, err)
	}
	if err := s.changedOne(ctx, res, id); err != nil {
		return time.Time{}, err
	}
	var d int64
	if err := s.db.QueryRowContext(ctx, "SELECT deadline FROM publishes WHERE id = ?", id).Scan(&d); err != nil {
		return time.Time{}, fmt.Errorf("publish %d: %w", id, err)
	}
	return unixUTC(d), nil
}

// changedOne turns an update that matched no pending row into
// ErrNoPublish or ErrNotPending.
func (s *Store) changedOne(ctx context.Context, res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("publish %d: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	p, err := s.GetPublish(ctx, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: publish %d is %s", ErrNotPending, id, p.State)
}

// SeeHost records that host served stamp for publish id, keeping the first
// time only.
func (s *Store) SeeHost(ctx context.Context, id int64, host string, stamp int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO publish_hosts(publish_id, host, stamp, first_seen) VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING",
		id, host, stamp, at.Unix())
	if err != nil {
		return fmt.Errorf("publish %d: record %s: %w", id, host, err)
	}
	return nil
}

// CommitPublish commits a pending publish in one transaction: the tree's
// stamp, a serial bump, the event, and the publish marked committed. A
// publish that is no longer pending commits nothing (ErrNotPending).
func (s *Store) CommitPublish(ctx context.Context, id int64, now time.Time) (Event, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Event{}, fmt.Errorf("commit publish %d: %w", id, err)
	}
	defer tx.Rollback()
	p, err := getPublish(ctx, tx, id)
	if err != nil {
		return Event{}, err
	}
	if !Pending(p.State) {
		return Event{}, fmt.Errorf("%w: publish %d is %s", ErrNotPending, id, p.State)
	}
	ev, err := applyStamp(ctx, tx, p.Tree, p.Stamp, p.Forced, now)
	if err != nil {
		return ev, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE publishes SET state = ?, reason = '', updated = ?, event_id = ? WHERE id = ?", Committed, now.Unix(), ev.ID, id); err != nil {
		return ev, fmt.Errorf("commit publish %d: %w", id, err)
	}
	return ev, s.commit(tx)
}

// GetPublish returns one publish with its hosts.
func (s *Store) GetPublish(ctx context.Context, id int64) (Publish, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Publish{}, fmt.Errorf("read publish %d: %w", id, err)
	}
	defer tx.Rollback()
	return getPublish(ctx, tx, id)
}

// querier is a transaction or the database.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getPublish(ctx context.Context, q querier, id int64) (Publish, error) {
	p, err := scanPublish(q.QueryRowContext(ctx, "SELECT "+publishCols+" FROM publishes WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("%w: %d", ErrNoPublish, id)
	}
	if err != nil {
		return p, fmt.Errorf("read publish %d: %w", id, err)
	}
	p.Hosts, err = hostsOf(ctx, q, id)
	return p, err
}

// ListPublishes returns up to limit publishes, newest first; with pending
// only those not yet ended, oldest first (the order to resume them).
func (s *Store) ListPublishes(ctx context.Context, limit int, pending bool) ([]Publish, error) {
	q := "SELECT " + publishCols + " FROM publishes ORDER BY id DESC LIMIT ?"
	args := []any{limit}
	if pending {
		q = "SELECT " + publishCols + " FROM publishes WHERE state IN (?, ?, ?) ORDER BY id LIMIT ?"
		args = []any{Planned, Planted, Gating, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read publishes: %w", err)
	}
	var out []Publish
	for rows.Next() {
		p, err := scanPublish(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read publishes: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	for i := range out {
		if out[i].Hosts, err = hostsOf(ctx, s.db, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanPublish(r scanner) (Publish, error) {
	var p Publish
	var created, updated, deadline int64
	err := r.Scan(&p.ID, &p.Tree, &p.Stamp, &p.Forced, &p.State, &p.Reason, &created, &updated, &deadline, &p.EventID)
	p.Created, p.Updated = unixUTC(created), unixUTC(updated)
	if deadline != 0 {
		p.Deadline = unixUTC(deadline)
	}
	return p, err
}

func hostsOf(ctx context.Context, q querier, id int64) ([]HostSeen, error) {
	rows, err := q.QueryContext(ctx, "SELECT host, stamp, first_seen FROM publish_hosts WHERE publish_id = ? ORDER BY first_seen, host", id)
	if err != nil {
		return nil, fmt.Errorf("read publish %d hosts: %w", id, err)
	}
	defer rows.Close()
	var out []HostSeen
	for rows.Next() {
		var h HostSeen
		var at int64
		if err := rows.Scan(&h.Host, &h.Stamp, &at); err != nil {
			return nil, fmt.Errorf("read publish %d hosts: %w", id, err)
		}
		h.FirstSeen = unixUTC(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

func unixUTC(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// Event returns the committed event id.
func (s *Store) Event(ctx context.Context, id int64) (Event, error) {
	var ev Event
	var at int64
	err := s.db.QueryRowContext(ctx, "SELECT id, tree, stamp, previous, forced, serial, at FROM events WHERE id = ?", id).
		Scan(&ev.ID, &ev.Tree, &ev.Stamp, &ev.Previous, &ev.Forced, &ev.Serial, &at)
	if err != nil {
		return ev, fmt.Errorf("read event %d: %w", id, err)
	}
	ev.At = unixUTC(at)
	return ev, nil
}
