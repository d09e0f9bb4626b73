package session_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// TestConformanceCluster runs the conformance cases against a real Redis
// Cluster of three masters (private redis-server processes, see
// redistest.StartCluster), through the client the bot builds for
// REDIS_ADDRS without REDIS_SENTINEL_MASTER. A cluster refuses a script or a
// MULTI whose keys are in different slots (CROSSSLOT), so the cases passing
// shows the {u:ID} hash tag keeps every multi-key step of the store (the
// compare-and-set script over the session and its replies, Delete's
// transaction) in one slot; "users spread over the nodes" shows the cases did
// not all run on one node by chance.
//
// ANNING_CLUSTER_MASTERS sets the number of masters (3); the sizes are those
// of the cases.
func TestConformanceCluster(t *testing.T) {
	cluster := redistest.StartCluster(t, envInt(t, "ANNING_CLUSTER_MASTERS", 3))
	client, err := session.NewRedisClient(session.RedisConfig{Addrs: cluster.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// The check has teeth: the cluster refuses a script over two slots. (A
	// go-redis cluster client splits a MULTI over several slots into one
	// transaction per slot without an error, so for Delete it is the slot
	// check below that matters.)
	if err := client.Eval(ctx, "return 1", []string{"{a}x", "{b}x"}).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("a script over two slots: %v, want CROSSSLOT", err)
	}
	const ttl = 3 * time.Second // real expiry takes real time, as for the "redis" backend
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel() // each case has its own prefix; the expiry case sleeps
				c.run(t, session.NewRedis(client, uniquePrefix(), ttl), time.Sleep, ttl)
			})
		}
	})

	t.Run("users spread over the nodes", func(t *testing.T) {
		const users = 50
		prefix := uniquePrefix()
		s := session.NewRedis(client, prefix, time.Hour)
		ledger := s.Record("evidence", time.Hour)
		for u := range users {
			user := strconv.Itoa(1000 + u)
			if _, err := s.PutWithReplies(ctx, user, []byte("state"), domain.Kept{Seq: 1, Replies: []byte("r")}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := ledger.Put(ctx, user, []byte("ledger"), 0); err != nil {
				t.Fatal(err)
			}
		}
		// Every key of a user is in the user's slot, and that slot holds them all.
		perNode := map[string]int{}
		for u := range users {
			user := strconv.Itoa(1000 + u)
			keys := []string{s.UserKey(user, "session"), s.UserKey(user, "session:replies"), s.UserKey(user, "evidence")}
			slot, err := client.ClusterKeySlot(ctx, keys[0]).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys[1:] {
				if other, err := client.ClusterKeySlot(ctx, k).Result(); err != nil || other != slot {
					t.Fatalf("user %s: %s in slot %d, %s in slot %d (%v)", user, keys[0], slot, k, other, err)
				}
			}
			for _, k := range keys {
				if n, err := client.Exists(ctx, k).Result(); err != nil || n != 1 {
					t.Fatalf("user %s: key %s missing (%v)", user, k, err)
				}
			}
			node := ""
			for _, n := range cluster.Nodes {
				v, err := n.Do("CLUSTER", "COUNTKEYSINSLOT", slot)
				if err != nil {
					t.Fatal(err)
				}
				if v.(int64) > 0 {
					if node != "" {
						t.Fatalf("user %s: slot %d has keys on %s and %s", user, slot, node, n.Addr)
					}
					node = n.Addr
				}
			}
			if node == "" {
				t.Fatalf("user %s: no node has keys in slot %d", user, slot)
			}
			perNode[node]++
		}
		if len(perNode) < 2 {
			t.Fatalf("all %d users on one node (%v): the cluster was not exercised", users, perNode)
		}
		t.Logf("users per node: %v", perNode)

		// Delete (a MULTI over two keys) works for users on every node.
		for u := range users {
			if n, err := s.Delete(ctx, strconv.Itoa(1000+u)); n != 1 || err != nil {
				t.Fatalf("delete user %d: %d %v", 1000+u, n, err)
			}
		}
	})
}

func uniquePrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "anningcluster" + hex.EncodeToString(b)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
