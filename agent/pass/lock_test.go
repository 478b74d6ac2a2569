package pass

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/lockfile"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
)

// TestLockBusyTooLongIsAnError: another descriptor holds the real lock
// file. Passes exit 0 until the lock has been busy for sync.max_interval,
// then fail naming the holder's pid; a pass that takes the lock forgets
// the busy spell.
func TestLockBusyTooLongIsAnError(t *testing.T) {
	base := int64(1_800_000_000)
	rs := &fakeRsync{upstream: map[string]int64{"content::a": base}}
	p, cfg := setup(t, &fakeReader{records: [][]int64{{base, 0}}}, rs)
	path := filepath.Join(t.TempDir(), "lock")
	p.d.Lock = func() (func() error, error) {
		l, err := lockfile.TryLock(path)
		if err != nil {
			return nil, err
		}
		return l.Unlock, nil
	}
	now := time.Unix(time.Now().Unix(), 0) // the state file keeps whole seconds
	p.d.Now = func() time.Time { return now }
	holder, err := lockfile.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	limit := cfg.Sync.MaxInterval.D()
	for _, step := range []time.Duration{0, limit - time.Second, time.Second} {
		now = now.Add(step)
		if err := p.Run(context.Background()); err != nil {
			t.Fatalf("busy for %s: %v, want exit 0", step, err)
		}
	}
	now = now.Add(time.Second)
	err = p.Run(context.Background())
	if exitcode.Code(err) != exitcode.Failure || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("busy longer than max_interval: %v (code %d), want exit 1 naming pid %d", err, exitcode.Code(err), os.Getpid())
	}
	if len(rs.runs) != 0 {
		t.Fatalf("synced while busy: %v", rs.runs)
	}

	holder.Unlock()
	if err := p.Run(context.Background()); err != nil || len(rs.runs) == 0 {
		t.Fatalf("after the holder left: %v, runs %v", err, rs.runs)
	}
	if st, err := state.Load(cfg.Sync.StateFile); err != nil || st.LockBusySince != 0 {
		t.Fatalf("busy spell not forgotten: %+v, %v", st, err)
	}
}
