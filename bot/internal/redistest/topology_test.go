package redistest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A replica follows its master; when the master dies the Sentinel promotes
// the replica, which then takes writes.
func TestSentinelPromotesReplica(t *testing.T) {
	t.Parallel()
	master := StartProcess(t)
	replica := StartReplica(t, master)
	s := StartSentinel(t, "mymaster", master, SentinelOptions{})
	if _, err := master.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if n, err := master.Do("WAIT", 1, 2000); err != nil || n != int64(1) {
		t.Fatalf("WAIT: %v %v", n, err)
	}
	if v, err := replica.Do("GET", "k"); err != nil || v != "v" {
		t.Fatalf("replica GET: %v %v", v, err)
	}
	if _, err := replica.Do("SET", "k", "w"); err == nil {
		t.Fatal("a replica took a write")
	}
	killed := time.Now()
	master.Kill()
	promoted := s.WaitMaster(replica.Addr)
	t.Logf("promoted %v after the kill", promoted.Sub(killed).Round(time.Millisecond))
	if info, err := replica.Info("replication"); err != nil || info["role"] != "master" {
		t.Fatalf("replica role after the failover: %q %v", info["role"], err)
	}
	if _, err := replica.Do("SET", "k", "w"); err != nil {
		t.Fatalf("write on the promoted replica: %v", err)
	}
	// The replica's AOF holds what it was sent and what it did since.
	if err := replica.SyncAOF(); err != nil {
		t.Fatal(err)
	}
	cmds, err := replica.AOFCommands()
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	for _, c := range cmds {
		if strings.EqualFold(c[0], "SET") {
			sets = append(sets, c[1]+"="+c[2])
		}
	}
	if !slices.Equal(sets, []string{"k=v", "k=w"}) {
		t.Fatalf("SETs in the replica's AOF: %q", sets)
	}
}

// A cluster of three masters shares the slots: keys land on every node.
func TestClusterSharesSlots(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer client.Close()
	ctx := context.Background()
	const keys = 60
	for i := range keys {
		if err := client.Set(ctx, "key-"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	total := int64(0)
	for _, n := range c.Nodes {
		v, err := n.Do("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		size := v.(int64)
		if size == 0 {
			t.Errorf("node %s holds no key", n.Addr)
		}
		total += size
	}
	if total != keys {
		t.Fatalf("%d keys on the nodes, want %d", total, keys)
	}
}

// Through a lagging link a write reaches the replica late, and one still
// held when the master dies never does.
func TestLaggingReplicaLosesHeldWrites(t *testing.T) {
	t.Parallel()
	const lag = time.Second // much longer than a stall of a busy machine between the SET and the GET
	master := StartProcess(t)
	replica, _ := StartLaggingReplica(t, master, lag)
	if _, err := master.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := replica.Do("GET", "k"); err != redis.Nil {
		t.Fatalf("the replica has the write at once: %v %v", v, err)
	}
	replica.waitFor("the write to reach the replica", func() bool {
		v, err := replica.Do("GET", "k")
		return err == nil && v == "v"
	})
	if _, err := master.Do("SET", "k2", "v2"); err != nil {
		t.Fatal(err)
	}
	master.Kill()
	replica.waitFor("the replica to see its master gone", func() bool {
		info, err := replica.Info("replication")
		return err == nil && info["master_link_status"] == "down"
	})
	time.Sleep(lag) // nothing more is coming
	if v, err := replica.Do("GET", "k2"); err != redis.Nil {
		t.Fatalf("the write held by the link arrived after all: %v %v", v, err)
	}
}
