package store

import "github.com/mirrorsignal/mirrorsignal/signal"

// Record builds the signal record of layout from the state; trees never
// published are 0.
func (s State) Record(layout signal.Layout) signal.Record {
	r := signal.NewRecord(layout)
	for i, tree := range layout {
		r.Stamps[i] = s.Stamps[tree]
	}
	return r
}
