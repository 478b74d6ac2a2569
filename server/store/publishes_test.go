package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openPublishStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPublishWorkflow: a publish moves planned → gating → committed; the
// commit sets the tree, bumps the serial and records the event in one go;
// a committed publish cannot move again.
func TestPublishWorkflow(t *testing.T) {
	s := openPublishStore(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	p, sup, err := s.CreatePublish(ctx, "content", 1_799_999_000, false, now)
	if err != nil || p.State != Planned || len(sup) != 0 {
		t.Fatalf("create: %+v %v %v", p, sup, err)
	}
	if err := s.Advance(ctx, p.ID, Planted, "", now); err != nil {
		t.Fatal(err)
	}
	d, err := s.StartGate(ctx, p.ID, now.Add(time.Hour), now)
	if err != nil || !d.Equal(now.Add(time.Hour)) {
		t.Fatalf("gate deadline %v %v", d, err)
	}
	if d2, err := s.StartGate(ctx, p.ID, now.Add(3*time.Hour), now.Add(time.Minute)); err != nil || !d2.Equal(d) {
		t.Fatalf("a resumed gate moved its deadline: %v %v", d2, err)
	}
	for i, host := range []string{"a", "b", "a"} {
		if err := s.SeeHost(ctx, p.ID, host, 1_799_999_000, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := s.CommitPublish(ctx, p.ID, now.Add(time.Minute))
	if err != nil || ev.Stamp != 1_799_999_000 || ev.Serial == 0 {
		t.Fatalf("commit: %+v %v", ev, err)
	}
	got, err := s.GetPublish(ctx, p.ID)
	if err != nil || got.State != Committed || got.EventID != ev.ID || len(got.Hosts) != 2 || !got.Hosts[0].FirstSeen.Equal(now) {
		t.Fatalf("after commit: %+v %v", got, err)
	}
	if st, _ := s.State(ctx); st.Stamps["content"] != 1_799_999_000 || st.Serial != ev.Serial {
		t.Fatalf("state %+v", st)
	}
	if _, err := s.CommitPublish(ctx, p.ID, now); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second commit: %v, want ErrNotPending", err)
	}
	if err := s.Advance(ctx, p.ID, Failed, "late", now); !errors.Is(err, ErrNotPending) {
		t.Fatalf("advance after commit: %v, want ErrNotPending", err)
	}
	if _, err := s.GetPublish(ctx, 999); !errors.Is(err, ErrNoPublish) {
		t.Fatalf("unknown id: %v", err)
	}
}

// TestNewerPublishSupersedes: a second publish of a tree cancels the
// pending first one, which then commits nothing; other trees are not
// touched.
func TestNewerPublishSupersedes(t *testing.T) {
	s := openPublishStore(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	first, _, _ := s.CreatePublish(ctx, "content", 1_799_999_000, false, now)
	other, _, _ := s.CreatePublish(ctx, "vault", 1_799_999_000, false, now)
	second, sup, err := s.CreatePublish(ctx, "content", 1_799_999_500, false, now)
	if err != nil || len(sup) != 1 || sup[0] != first.ID {
		t.Fatalf("superseded %v (%v), want [%d]", sup, err, first.ID)
	}
	if _, err := s.CommitPublish(ctx, first.ID, now); !errors.Is(err, ErrNotPending) {
		t.Fatalf("superseded publish committed: %v", err)
	}
	if st, _ := s.State(ctx); st.Stamps["content"] != 0 {
		t.Fatalf("superseded publish changed the tree: %v", st.Stamps)
	}
	pending, err := s.ListPublishes(ctx, 10, true)
	if err != nil || len(pending) != 2 || pending[0].ID != other.ID || pending[1].ID != second.ID {
		t.Fatalf("pending %+v %v", pending, err)
	}
	got, _ := s.GetPublish(ctx, first.ID)
	if got.State != Cancelled || got.Reason == "" {
		t.Fatalf("superseded publish %+v", got)
	}
}

// TestCommitPublishBackwards: the backwards check holds at commit time too
// (another publish may have moved the tree meanwhile), and nothing changes.
func TestCommitPublishBackwards(t *testing.T) {
	s := openPublishStore(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	p, _, _ := s.CreatePublish(ctx, "content", 1_799_000_000, false, now)
	if _, err := s.Publish(ctx, "content", 1_799_500_000, false, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitPublish(ctx, p.ID, now); !errors.Is(err, ErrBackwards) {
		t.Fatalf("commit = %v, want ErrBackwards", err)
	}
	if got, _ := s.GetPublish(ctx, p.ID); got.State != Planned {
		t.Fatalf("a refused commit changed the publish: %+v", got)
	}
}
