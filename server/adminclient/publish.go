package adminclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// Publish asks signald to publish req. A refusal is a *Refused, wrapped so
// that it reads "publish refused (409 Conflict): …".
func (c *Client) Publish(ctx context.Context, req apiv1.PublishRequest) (apiv1.PublishResponse, error) {
	var out apiv1.PublishResponse
	err := c.post(ctx, apiv1.PathPublish, req, &out)
	var refused *Refused
	if errors.As(err, &refused) {
		return out, fmt.Errorf("publish %w", err)
	}
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	return out, nil
}

// FormatPublish is the operator's one- or two-line account of a publish
// that has ended.
func FormatPublish(w io.Writer, r apiv1.PublishResponse) {
	when := time.Unix(r.Stamp, 0).UTC().Format(time.RFC3339)
	if !r.Unchanged && r.State != "" && r.State != "committed" {
		fmt.Fprintf(w, "publish %d of %s at %d (%s) %s: %s\nDNS unchanged\n", r.ID, r.Tree, r.Stamp, when, r.State, r.Reason)
		return
	}
	if r.Unchanged {
		fmt.Fprintf(w, "%s already at %d (%s); nothing changed, serial %d\n", r.Tree, r.Stamp, when, r.Serial)
		return
	}
	fmt.Fprintf(w, "published %s at %d (%s), was %d; serial %d, event %d\nsignal now %q\n", r.Tree, r.Stamp, when, r.Previous, r.Serial, r.Event, r.Record)
}
