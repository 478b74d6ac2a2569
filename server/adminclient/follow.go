package adminclient

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// Publish states that are final.
var final = map[string]bool{"committed": true, "timed_out": true, "failed": true, "cancelled": true}

// Ended reports whether a publish has reached a final state.
func Ended(p apiv1.Publish) bool { return p.Unchanged || final[p.State] }

// Status returns publish id.
func (c *Client) Status(ctx context.Context, id int64) (apiv1.Publish, error) {
	var out apiv1.Publish
	err := c.get(ctx, fmt.Sprintf("%s/%d", apiv1.PathPublishes, id), &out)
	return out, wrap("publish status", err)
}

// Cancel cancels pending publish id and returns it.
func (c *Client) Cancel(ctx context.Context, id int64) (apiv1.Publish, error) {
	var out apiv1.Publish
	err := c.post(ctx, fmt.Sprintf("%s/%d/cancel", apiv1.PathPublishes, id), nil, &out)
	return out, wrap("cancel", err)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Follow polls publish p every interval until it ends or ctx is done,
// calling show with each state that differs from the last one shown.
func (c *Client) Follow(ctx context.Context, p apiv1.Publish, interval time.Duration, show func(apiv1.Publish)) (apiv1.Publish, error) {
	last := progressLine(p)
	show(p)
	t := time.NewTicker(interval)
	defer t.Stop()
	for !Ended(p) {
		select {
		case <-ctx.Done():
			return p, fmt.Errorf("stopped following publish %d (it goes on in signald): %w", p.ID, ctx.Err())
		case <-t.C:
		}
		next, err := c.Status(ctx, p.ID)
		if err != nil {
			return p, err
		}
		p = next
		if line := progressLine(p); line != last {
			last = line
			show(p)
		}
	}
	return p, nil
}

// FormatProgress prints one line on where publish p is, with the time
// elapsed since it was created.
func FormatProgress(w io.Writer, p apiv1.Publish, now time.Time) {
	elapsed := ""
	if t, err := time.Parse(time.RFC3339, p.Created); err == nil {
		elapsed = fmt.Sprintf(" [%s]", now.Sub(t).Round(time.Second))
	}
	fmt.Fprintf(w, "publish %d %s%s%s\n", p.ID, progressLine(p), elapsed, "")
}

// progressLine is the part of the progress that changes.
func progressLine(p apiv1.Publish) string {
	var b strings.Builder
	b.WriteString(p.State)
	if g := p.Tier1; g != nil && g.Total > 0 && !final[p.State] {
		fmt.Fprintf(&b, ": %d of %d tier-1 hosts have it, %d needed", len(g.Seen), g.Total, g.Need)
		if len(g.Awaited) > 0 {
			b.WriteString("; awaiting")
			for i, a := range g.Awaited {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, " %s", a.Host)
				if a.Error != "" {
					fmt.Fprintf(&b, " (%s)", a.Error)
				}
			}
		}
	}
	return b.String()
}
