package store

import (
	"context"
	"fmt"
	"time"
)

// RecordFirstFresh records that mirror was first seen with stamp for tree
// at at. Only the first call for a (tree, stamp, mirror) counts; later ones
// are ignored, so the checker may call it again after a restart. The rows
// are the propagation of a publish, keyed by tree and stamp, and are not
// thinned (Thin drops them after Policy.Daily).
func (c *CheckerDB) RecordFirstFresh(ctx context.Context, tree string, stamp int64, mirror string, at time.Time) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO first_fresh(tree, stamp, mirror, at) VALUES(?, ?, ?, ?)
		ON CONFLICT(tree, stamp, mirror) DO NOTHING`, tree, stamp, mirror, at.Unix())
	if err != nil {
		return fmt.Errorf("record first fresh %s@%d on %s: %w", tree, stamp, mirror, err)
	}
	return nil
}

// FirstFresh returns, per mirror, when it was first seen with stamp for
// tree (whole seconds, UTC).
func (c *CheckerDB) FirstFresh(ctx context.Context, tree string, stamp int64) (map[string]time.Time, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT mirror, at FROM first_fresh WHERE tree = ? AND stamp = ?`, tree, stamp)
	if err != nil {
		return nil, fmt.Errorf("read first fresh %s@%d: %w", tree, stamp, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var mirror string
		var at int64
		if err := rows.Scan(&mirror, &at); err != nil {
			return nil, fmt.Errorf("read first fresh %s@%d: %w", tree, stamp, err)
		}
		out[mirror] = time.Unix(at, 0).UTC()
	}
	return out, rows.Err()
}
