package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// store is one backend under test, with a way to let time pass beyond and
// within its idle expiry.
type store interface {
	domain.Store
	domain.Deduper
	domain.ReplyKeeper
	domain.Tombstones
	domain.Outbox
	domain.BatchDeliverer
	domain.Overwriter
}

type backend struct {
	name string
	ttl  time.Duration
	open func(t *testing.T, ttl time.Duration) (s store, wait func(time.Duration))
}

var backends = []backend{
	{"memory", time.Hour, func(t *testing.T, ttl time.Duration) (store, func(time.Duration)) {
		var mu sync.Mutex
		now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		m := session.NewMemory(ttl, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		return m, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	}},
	{"miniredis", time.Hour, func(t *testing.T, ttl time.Duration) (store, func(time.Duration)) {
		srv := openMini(t) // in-process even when a real server is configured
		return session.NewRedis(srv.Client(t), srv.Prefix, ttl), srv.Mini.FastForward
	}},
	// 3 s: the expiry case keeps 40 % of it (1.2 s) as a margin against a
	// stall of a busy machine; 1.2 s left 480 ms.
	{"redis", 3 * time.Second, func(t *testing.T, ttl time.Duration) (store, func(time.Duration)) {
		srv := redistest.Real(t)
		return session.NewRedis(srv.Client(t), srv.Prefix, ttl), time.Sleep // real expiry takes real time
	}},
}

func openMini(t *testing.T) *redistest.Server {
	t.Setenv(redistest.EnvURL, "")
	return redistest.Open(t)
}

// TestConformance runs the same cases against every Store.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s, wait := b.open(t, b.ttl)
					c.run(t, s, wait, b.ttl)
				})
			}
		})
	}
}

var ctx = context.Background()

var cases = []struct {
	name string
	run  func(t *testing.T, s store, wait func(time.Duration), ttl time.Duration)
}{
	{"missing user is the zero entry", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		e, err := s.Get(ctx, "nobody")
		if err != nil || e.Rev != 0 || len(e.Data) != 0 {
			t.Fatalf("got %+v, %v", e, err)
		}
	}},
	{"round trip keeps bytes and counts revisions", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		data := []byte(`{"v":1,"vars":{"platform":"有钱花|闪电贷"},"x":"a|b\n"}`)
		rev, err := s.Put(ctx, "42", data, 0)
		if err != nil || rev != 1 {
			t.Fatalf("put: %d %v", rev, err)
		}
		e, err := s.Get(ctx, "42")
		if err != nil || e.Rev != 1 || string(e.Data) != string(data) {
			t.Fatalf("get: %+v %v", e, err)
		}
		if rev, err = s.Put(ctx, "42", []byte("two"), 1); err != nil || rev != 2 {
			t.Fatalf("second put: %d %v", rev, err)
		}
	}},
	{"stale write is refused and changes nothing", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		mustPut(t, s, "42", "a", 0)
		mustPut(t, s, "42", "b", 1)
		for _, stale := range []int64{0, 1, 3} {
			if _, err := s.Put(ctx, "42", []byte("lost"), stale); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("put at rev %d: %v, want ErrConflict", stale, err)
			}
		}
		if e, _ := s.Get(ctx, "42"); string(e.Data) != "b" || e.Rev != 2 {
			t.Fatalf("after conflicts: %+v", e)
		}
	}},
	{"users are kept apart", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		mustPut(t, s, "1", "one", 0)
		mustPut(t, s, "a{b}:c", "odd id", 0)
		if e, _ := s.Get(ctx, "2"); e.Rev != 0 {
			t.Fatalf("user 2 sees %+v", e)
		}
		if e, _ := s.Get(ctx, "a{b}:c"); string(e.Data) != "odd id" {
			t.Fatalf("odd id: %+v", e)
		}
		if n, err := s.Delete(ctx, "a{b}:c"); n != 1 || err != nil {
			t.Fatalf("delete odd id: %d %v", n, err)
		}
		if e, _ := s.Get(ctx, "1"); string(e.Data) != "one" {
			t.Fatalf("delete of another user erased user 1: %+v", e)
		}
	}},
	{"delete erases and reports", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		mustPut(t, s, "42", "a", 0)
		if n, err := s.Delete(ctx, "42"); n != 1 || err != nil {
			t.Fatalf("delete: %d %v", n, err)
		}
		if e, _ := s.Get(ctx, "42"); e.Rev != 0 {
			t.Fatalf("still there: %+v", e)
		}
		if n, err := s.Delete(ctx, "42"); n != 0 || err != nil {
			t.Fatalf("second delete: %d %v", n, err)
		}
		mustPut(t, s, "42", "fresh", 0) // a new conversation starts at rev 0 again
	}},
	{"expiry slides with every write", func(t *testing.T, s store, wait func(time.Duration), ttl time.Duration) {
		mustPut(t, s, "42", "a", 0)
		wait(ttl * 6 / 10)
		mustPut(t, s, "42", "b", 1)
		wait(ttl * 6 / 10) // 1.2 ttl after the first write, 0.6 after the second
		if e, _ := s.Get(ctx, "42"); string(e.Data) != "b" {
			t.Fatalf("expired too early: %+v", e)
		}
		wait(ttl * 6 / 10)
		if e, _ := s.Get(ctx, "42"); e.Rev != 0 {
			t.Fatalf("kept after its idle ttl: %+v", e)
		}
	}},
	{"update ids are de-duplicated", func(t *testing.T, s store, wait func(time.Duration), _ time.Duration) {
		for i, want := range []bool{true, false, false} {
			if got, err := s.FirstSeen(ctx, "update-1001"); got != want || err != nil {
				t.Fatalf("sighting %d: %v %v", i+1, got, err)
			}
		}
		if got, _ := s.FirstSeen(ctx, "update-1002"); !got {
			t.Fatal("another id counted as seen")
		}
	}},
	{"concurrent read-modify-write loses nothing", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		const workers, each = 8, 25
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					for {
						e, err := s.Get(ctx, "hot")
						if err != nil {
							t.Error(err)
							return
						}
						next := fmt.Sprintf("%s,%d.%d", e.Data, w, i)
						if _, err := s.Put(ctx, "hot", []byte(next), e.Rev); err == nil {
							break
						} else if !errors.Is(err, domain.ErrConflict) {
							t.Error(err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		e, _ := s.Get(ctx, "hot")
		if e.Rev != workers*each {
			t.Fatalf("rev %d after %d updates", e.Rev, workers*each)
		}
		seen := map[string]bool{}
		for _, part := range strings.Split(string(e.Data), ",") {
			seen[part] = true
		}
		for w := range workers {
			for i := range each {
				if !seen[fmt.Sprintf("%d.%d", w, i)] {
					t.Fatalf("update %d.%d lost", w, i)
				}
			}
		}
	}},
	{"replies are kept with the write, replaced, marked delivered and erased", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		want := func(user string, seq int64, replies string) {
			t.Helper()
			k, err := s.Replies(ctx, user)
			if err != nil || k.Seq != seq || string(k.Replies) != replies || (replies == "" && k.Replies != nil) {
				t.Fatalf("kept for %s: %d %q %v; want %d %q", user, k.Seq, k.Replies, err, seq, replies)
			}
		}
		want("42", 0, "")
		if _, err := s.PutWithReplies(ctx, "42", []byte("state 1"), domain.Kept{Seq: 101, Replies: []byte("第一轮|的回复")}, 0); err != nil {
			t.Fatal(err)
		}
		want("42", 101, "第一轮|的回复")
		// A refused write leaves both the session and the replies as they were.
		if _, err := s.PutWithReplies(ctx, "42", []byte("stale"), domain.Kept{Seq: 102, Replies: []byte("lost")}, 0); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("stale put: %v", err)
		}
		want("42", 101, "第一轮|的回复")
		// Delivered drops only the replies of that update.
		if err := s.Delivered(ctx, "42", 100); err != nil {
			t.Fatal(err)
		}
		want("42", 101, "第一轮|的回复")
		if err := s.Delivered(ctx, "42", 101); err != nil {
			t.Fatal(err)
		}
		want("42", 101, "")
		// Many at once: each only for its own update.
		if _, err := s.PutWithReplies(ctx, "43", []byte("x"), domain.Kept{Seq: 7, Replies: []byte("七")}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutWithReplies(ctx, "44", []byte("x"), domain.Kept{Seq: 8, Replies: []byte("八")}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeliveredAll(ctx, []domain.Delivery{{User: "43", Seq: 7}, {User: "44", Seq: 6}}); err != nil {
			t.Fatal(err)
		}
		want("43", 7, "")
		want("44", 8, "八")
		// A plain Put leaves what is kept; a PutWithReplies of Seq 0 removes it.
		mustPut(t, s, "42", "state 2", 1)
		want("42", 101, "")
		if _, err := s.PutWithReplies(ctx, "42", []byte("state 3"), domain.Kept{}, 2); err != nil {
			t.Fatal(err)
		}
		want("42", 0, "")
		if _, err := s.PutWithReplies(ctx, "42", []byte("state 4"), domain.Kept{Seq: 104, Replies: []byte("第四轮")}, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutWithReplies(ctx, "7", []byte("other"), domain.Kept{Seq: 9, Replies: []byte("别人的")}, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Delete(ctx, "42"); n != 1 || err != nil {
			t.Fatalf("delete: %d %v", n, err)
		}
		want("42", 0, "")
		want("7", 9, "别人的")
	}},
	{"a write over an unread session applies only if it is still exactly the one kept", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		if _, err := s.PutOver(ctx, "42", []byte("x"), domain.Kept{}, domain.Entry{Data: []byte("a"), Rev: 1}); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("over a missing session: %v", err)
		}
		mustPut(t, s, "42", "state 1", 0)
		rev, err := s.PutOver(ctx, "42", []byte("state 2"), domain.Kept{Seq: 102, Replies: []byte("第二轮")}, domain.Entry{Data: []byte("state 1"), Rev: 1})
		if err != nil || rev != 2 {
			t.Fatalf("over the kept one: %d %v", rev, err)
		}
		if e, _ := s.Get(ctx, "42"); string(e.Data) != "state 2" || e.Rev != 2 {
			t.Fatalf("after: %q %d", e.Data, e.Rev)
		}
		if k, _ := s.Replies(ctx, "42"); k.Seq != 102 || string(k.Replies) != "第二轮" {
			t.Fatalf("kept: %d %q", k.Seq, k.Replies)
		}
		// Seq 0 leaves the kept replies alone, as Put does.
		if _, err := s.PutOver(ctx, "42", []byte("state 3"), domain.Kept{}, domain.Entry{Data: []byte("state 2"), Rev: 2}); err != nil {
			t.Fatal(err)
		}
		if k, _ := s.Replies(ctx, "42"); k.Seq != 102 {
			t.Fatalf("kept after a Seq 0 write: %d", k.Seq)
		}
		// Erased and written again up to the same revision: not the one kept.
		if n, err := s.Delete(ctx, "42"); n == 0 || err != nil {
			t.Fatalf("delete: %d %v", n, err)
		}
		mustPut(t, s, "42", "new 1", 0)
		mustPut(t, s, "42", "new 2", 1)
		mustPut(t, s, "42", "new 3", 2)
		if _, err := s.PutOver(ctx, "42", []byte("stale"), domain.Kept{}, domain.Entry{Data: []byte("state 3"), Rev: 3}); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("over a session written again to the same revision: %v", err)
		}
		if e, _ := s.Get(ctx, "42"); string(e.Data) != "new 3" || e.Rev != 3 {
			t.Fatalf("the refused write changed it: %q %d", e.Data, e.Rev)
		}
	}},
	{"the outbox gives each due person once per lease, oldest first, until released", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		for i, user := range []string{"7", "42", "9"} {
			if err := s.Hold(ctx, user, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if due, err := s.Due(ctx, t0.Add(-time.Second), time.Minute, 10); err != nil || len(due) != 0 {
			t.Fatalf("before any is due: %v %v", due, err)
		}
		due, err := s.Due(ctx, t0.Add(time.Second), time.Minute, 10)
		if err != nil || strings.Join(due, ",") != "7,42" {
			t.Fatalf("due at +1 s: %v %v", due, err)
		}
		if due, _ := s.Due(ctx, t0.Add(2*time.Second), time.Minute, 10); strings.Join(due, ",") != "9" {
			t.Fatalf("taken ones came again within their lease: %v", due)
		}
		if err := s.Release(ctx, "42"); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.Due(ctx, t0.Add(2*time.Minute), time.Minute, 1); strings.Join(due, ",") != "7" {
			t.Fatalf("after the lease, at most 1: %v", due)
		}
		if due, _ := s.Due(ctx, t0.Add(2*time.Minute), time.Minute, 10); strings.Join(due, ",") != "9" {
			t.Fatalf("the released one came again, or the lease was not kept: %v", due)
		}
	}},
	{"erasing updates are remembered by id", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		if erased, err := s.Erased(ctx, 5001); erased || err != nil {
			t.Fatalf("unknown update: %v %v", erased, err)
		}
		if err := s.MarkErased(ctx, 5001); err != nil {
			t.Fatal(err)
		}
		if erased, err := s.Erased(ctx, 5001); !erased || err != nil {
			t.Fatalf("marked update: %v %v", erased, err)
		}
		if erased, _ := s.Erased(ctx, 5002); erased {
			t.Fatal("another update counted as erasing")
		}
	}},
	{"cancelled context is an error, not a hang", func(t *testing.T, s store, _ func(time.Duration), _ time.Duration) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Get(c, "42"); err == nil {
			t.Error("get with a cancelled context succeeded")
		}
		if _, err := s.Put(c, "42", []byte("x"), 0); err == nil {
			t.Error("put with a cancelled context succeeded")
		}
	}},
}

func mustPut(t *testing.T, s store, user, data string, rev int64) {
	t.Helper()
	if _, err := s.Put(ctx, user, []byte(data), rev); err != nil {
		t.Fatalf("put %s at %d: %v", user, rev, err)
	}
}
