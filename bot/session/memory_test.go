package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/session"
)

func TestMemoryCompareAndSetAndExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	m := session.NewMemory(time.Hour, func() time.Time { return now })
	if e, err := m.Get(ctx, "u"); err != nil || e.Rev != 0 || e.Data != nil {
		t.Fatalf("empty get: %+v %v", e, err)
	}
	rev, err := m.Put(ctx, "u", []byte("a"), 0)
	if err != nil || rev != 1 {
		t.Fatalf("first put: %d %v", rev, err)
	}
	if _, err := m.Put(ctx, "u", []byte("b"), 0); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale put: %v", err)
	}
	if rev, err = m.Put(ctx, "u", []byte("b"), 1); err != nil || rev != 2 {
		t.Fatalf("second put: %d %v", rev, err)
	}
	now = now.Add(59 * time.Minute)
	if e, _ := m.Get(ctx, "u"); string(e.Data) != "b" {
		t.Fatalf("entry gone before its ttl: %+v", e)
	}
	now = now.Add(2 * time.Minute)
	if e, _ := m.Get(ctx, "u"); e.Rev != 0 {
		t.Fatalf("entry kept after its ttl: %+v", e)
	}
	if _, err := m.Put(ctx, "u", []byte("c"), 0); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Delete(ctx, "u"); n != 1 || err != nil {
		t.Fatalf("delete: %d %v", n, err)
	}
	if n, _ := m.Delete(ctx, "u"); n != 0 {
		t.Fatalf("second delete erased %d", n)
	}
}
