package checker

// DefaultHysteresis is how many consecutive rounds must agree on a new
// state before it is reported as a Transition.
const DefaultHysteresis = 2

// hyst is the notified state of one mirror and tree and the run of
// rounds that disagree with it.
type hyst struct {
	state State // the state last reported; "" before the first round
	off   uint8 // consecutive rounds whose state was not state
}

// step feeds the state of one round. It returns the new hyst and whether
// the notified state changed (from the returned old state). The first
// round after start sets the state without a change, so a restart does
// not notify again; after that, need consecutive rounds that disagree
// with the notified state change it to the latest of them (a mirror
// flapping between two bad states still leaves fresh). need < 1 is 1.
func (h hyst) step(s State, need int) (next hyst, from State, changed bool) {
	switch {
	case h.state == "" || h.state == Unknown:
		return hyst{state: s}, h.state, false
	case s == h.state:
		return hyst{state: s}, s, false
	}
	if h.off < 255 {
		h.off++
	}
	if int(h.off) < max(need, 1) {
		return h, h.state, false
	}
	return hyst{state: s}, h.state, true
}
