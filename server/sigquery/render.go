package sigquery

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Render writes a: a headline with the record and serial, then one line
// per tree with its stamp, the stamp as RFC 3339 UTC and its age at now
// (whole seconds), or "never published" for a zero stamp.
func Render(w io.Writer, a Answer, now time.Time) error {
	fmt.Fprintf(w, "signal %s from %s: %q (serial %d)\n", a.Name, a.Server, a.Record.String(), a.Serial)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, tree := range a.Record.Layout {
		v := a.Record.Stamps[i]
		if v == 0 {
			fmt.Fprintf(tw, "%s\t%d\tnever published\n", tree, v)
			continue
		}
		t := time.Unix(v, 0).UTC()
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s ago\n", tree, v, t.Format(time.RFC3339), now.Sub(t).Truncate(time.Second))
	}
	return tw.Flush()
}
