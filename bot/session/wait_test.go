package session_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// With WaitForReplicas a write returns only once the replica has it, even
// when the replica is a second behind; without, it returns before. (A lag
// much shorter than a stall of a busy CI machine could let the plain write
// reach the replica before it is looked for.)
func TestWaitForReplicas(t *testing.T) {
	master := redistest.StartProcess(t)
	replica, _ := redistest.StartLaggingReplica(t, master, time.Second)
	client := redis.NewClient(&redis.Options{Addr: master.Addr})
	t.Cleanup(func() { client.Close() })
	ctx := context.Background()
	onReplica := func(key string) bool {
		v, err := replica.Do("EXISTS", key)
		return err == nil && v == int64(1)
	}

	plain := session.NewRedis(client, "plain", time.Hour)
	if _, err := plain.Put(ctx, "42", []byte("state"), 0); err != nil {
		t.Fatal(err)
	}
	if onReplica(plain.UserKey("42", "session")) {
		if os.Getenv("CI") != "" {
			t.Fatal("the replica was not behind: the lag is not in effect, so waiting is not tested")
		}
		t.Skip("the replica was not behind: the lag is not in effect")
	}

	waiting := session.NewRedis(client, "waiting", time.Hour).WaitForReplicas(1, 5*time.Second)
	if _, err := waiting.PutWithReplies(ctx, "42", []byte("state"), domain.Kept{Seq: 7, Replies: []byte("r")}, 0); err != nil {
		t.Fatal(err)
	}
	if !onReplica(waiting.UserKey("42", "session")) || !onReplica(waiting.UserKey("42", "session:replies")) {
		t.Error("a write returned before the replica had it")
	}
	if _, err := waiting.Record("evidence", time.Hour).Put(ctx, "42", []byte("ledger"), 0); err != nil {
		t.Fatal(err)
	}
	if !onReplica(waiting.UserKey("42", "evidence")) {
		t.Error("a record's write returned before the replica had it")
	}
	if n, err := waiting.Delete(ctx, "42"); n != 1 || err != nil {
		t.Fatalf("delete: %d %v", n, err)
	}
	if onReplica(waiting.UserKey("42", "session")) {
		t.Error("an erasure returned before the replica had it")
	}
	// A new master has no scripts cached: the write still goes through.
	if _, err := master.Do("SCRIPT", "FLUSH"); err != nil {
		t.Fatal(err)
	}
	if _, err := waiting.Put(ctx, "43", []byte("after flush"), 0); err != nil {
		t.Errorf("write after SCRIPT FLUSH: %v", err)
	}
	// Without a replica answering, a write waits out the timeout and goes on.
	alone := redistest.StartProcess(t)
	solo := redis.NewClient(&redis.Options{Addr: alone.Addr})
	t.Cleanup(func() { solo.Close() })
	if _, err := session.NewRedis(solo, "solo", time.Hour).WaitForReplicas(1, 50*time.Millisecond).Put(ctx, "44", []byte("x"), 0); err != nil {
		t.Errorf("write without replicas: %v", err)
	}
}
