package advice

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// The test clock and the content tree's signal in the test view.
var (
	testNow    = time.Unix(1_800_000_000, 0)
	testSignal = int64(1_799_990_000)
)

var testLayout = signal.Layout{"content", "vault"}

func testFleet(t testing.TB) *mirrors.Fleet {
	t.Helper()
	f, err := mirrors.Load(filepath.Join("testdata", "mirrors.toml"), testLayout)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// probe is one mirror's best result for content in the test view.
type probe struct {
	state checker.State
	stamp int64
	ago   time.Duration // checked this long before testNow
}

// testProbes are the view's results; a mirror missing here is not in the
// view at all (unprobed.example.net).
var testProbes = map[string]probe{
	"req.example.net":                  {checker.Fresh, testSignal, time.Minute},
	"t1-de.example.org":                {checker.Fresh, testSignal, time.Minute},
	"t1-us.example.org":                {checker.Fresh, testSignal + 60, time.Minute},
	"us.example.net":                   {checker.Fresh, testSignal, time.Minute},
	"fr.example.net":                   {checker.Fresh, testSignal, time.Minute},
	"de-old-check.example.net":         {checker.Fresh, testSignal, 9 * time.Minute},
	"de.example.net":                   {checker.Fresh, testSignal, 2 * time.Minute},
	"netblock-fr.example.net":          {checker.Fresh, testSignal, time.Minute},
	"stale.example.net":                {checker.Behind, testSignal - 3600, time.Minute},
	"fresh-for-old-signal.example.net": {checker.Fresh, testSignal - 3600, 30 * time.Minute},
	"opted-out.example.net":            {checker.Fresh, testSignal, time.Minute},
	"https-only.example.net":           {checker.Fresh, testSignal, time.Minute},
	"no-module.example.net":            {checker.Fresh, testSignal, time.Minute},
	"vault-only.example.net":           {checker.Fresh, testSignal, time.Minute},
}

// testView builds a view of f from probes, in fleet order.
func testView(f *mirrors.Fleet, probes map[string]probe) *checker.View {
	v := &checker.View{At: testNow, Signal: map[string]int64{"content": testSignal, "vault": testSignal}}
	for _, m := range f.Mirrors() {
		p, ok := probes[m.Name()]
		if !ok {
			continue
		}
		mv := checker.MirrorView{Name: m.Name()}
		for _, tree := range m.Trees() {
			r := checker.Result{Key: checker.Key{Mirror: m.Name(), Tree: tree}, At: testNow.Add(-p.ago),
				State: p.state, Stamp: p.stamp, Signal: testSignal}
			if p.state == checker.Behind {
				r.Lag = time.Duration(testSignal-p.stamp) * time.Second
			}
			mv.Trees = append(mv.Trees, checker.TreeView{Result: r, Notified: p.state})
		}
		v.Mirrors = append(v.Mirrors, mv)
	}
	return v
}

// testHandler returns a handler over the test fleet and view, with its key
// in a temp dir.
func testHandler(t testing.TB, o Options) *Handler {
	t.Helper()
	if o.Fleet == nil {
		f := testFleet(t)
		o.Fleet = func() *mirrors.Fleet { return f }
	}
	if o.View == nil {
		v := testView(o.Fleet(), testProbes)
		o.View = func() *checker.View { return v }
	}
	if o.KeyPath == "" {
		o.KeyPath = filepath.Join(t.TempDir(), "advice.key")
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
