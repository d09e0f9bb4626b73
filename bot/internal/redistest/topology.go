package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The topologies operators run: a master with replicas watched by Sentinel,
// and Redis Cluster. Each server is a Process (its own port, directory and
// log, killed when the test ends), so a test may kill any of them.

// setupTimeout bounds the waits for a topology to form; it is a guard, not a
// measurement.
const setupTimeout = 30 * time.Second

// Do runs one command on the server with a short-lived connection.
func (p *Process) Do(args ...any) (any, error) {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second,
		WriteTimeout: 2 * time.Second, MaxRetries: -1, PoolSize: 1, Protocol: 2})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return c.Do(ctx, args...).Result()
}

// Info returns one section of INFO as its fields, e.g. Info("replication")
// ["role"]; an error when the server does not answer.
func (p *Process) Info(section string) (map[string]string, error) {
	v, err := p.Do("INFO", section)
	if err != nil {
		return nil, err
	}
	text, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("redistest: INFO answered %T", v)
	}
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, val, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(k, "#") {
			out[k] = val
		}
	}
	return out, nil
}

// SyncAOF makes a running server write out (and fsync) every write it has
// made, so that AOFCommands holds them all: with appendfsync everysec a
// write may otherwise wait (up to 2 s) behind an fsync in progress. It
// switches the server to appendfsync always for the rest of the test.
func (p *Process) SyncAOF() error {
	if _, err := p.Do("CONFIG", "SET", "appendfsync", "always"); err != nil {
		return err
	}
	_, err := p.Do("PING") // answered after the AOF buffer was written
	return err
}

// waitFor polls cond every 10 ms until it holds, failing the test with the
// server's log after setupTimeout.
func (p *Process) waitFor(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(setupTimeout)
	for !cond() {
		if !p.Running() {
			p.t.Fatalf("redistest: %s exited while waiting for %s; log:\n%s", p.Addr, what, p.Log())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("redistest: timed out waiting for %s; log of %s:\n%s", what, p.Addr, p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StartReplica starts a redis-server (as StartProcess, with extra options)
// that replicates master, and waits until its initial sync is done
// (master_link_status:up). Replication is asynchronous: a write master
// acknowledged may not have reached the replica yet. It switches the master
// to disk-based sync (repl-diskless-sync no): by default (diskless, Redis 7)
// a master waits 5 s for more replicas before the first sync, and after it
// holds its stream of writes back until the replica's first REPLCONF ACK,
// up to a second later: a master killed in that second takes every write
// since the sync with it. StartReplica returns once a (replicated, keyless)
// PUBLISH on the master reached the replica, so the stream is flowing.
func StartReplica(t testing.TB, master *Process, extra ...string) *Process {
	t.Helper()
	return startReplica(t, master, master.Port, extra)
}

// StartLaggingReplica is StartReplica with the replica connected to master
// through a Link that holds the replication stream for lag, like a replica
// falling behind; when master dies, the writes still held are lost, as
// those in a master's replication buffer are. The replica reports the
// Link's port as its master's, so a Sentinel watching it would "fix" its
// configuration (point it at the master itself) once the failover timeout
// has passed since it found the replica.
func StartLaggingReplica(t testing.TB, master *Process, lag time.Duration, extra ...string) (*Process, *Link) {
	t.Helper()
	link := StartLink(t, master.Addr, lag)
	return startReplica(t, master, link.Port, extra), link
}

func startReplica(t testing.TB, master *Process, port int, extra []string) *Process {
	t.Helper()
	if _, err := master.Do("CONFIG", "SET", "repl-diskless-sync", "no", "repl-diskless-sync-delay", "0"); err != nil {
		t.Fatalf("redistest: master %s: %v", master.Addr, err)
	}
	r := StartProcess(t, append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(port)}, extra...)...)
	r.waitFor("the replica to sync with "+master.Addr, func() bool {
		info, err := r.Info("replication")
		return err == nil && info["master_link_status"] == "up"
	})
	if _, err := master.Do("PUBLISH", "redistest:probe", "replica "+r.Addr); err != nil {
		t.Fatalf("redistest: master %s: %v", master.Addr, err)
	}
	info, err := master.Info("replication")
	if err != nil {
		t.Fatalf("redistest: master %s: %v", master.Addr, err)
	}
	sent, _ := strconv.ParseInt(info["master_repl_offset"], 10, 64)
	r.waitFor("the replica to receive the master's stream", func() bool {
		info, err := r.Info("replication")
		got, _ := strconv.ParseInt(info["slave_repl_offset"], 10, 64)
		return err == nil && got >= sent
	})
	// After the sync the replica rewrites its AOF; let that finish, so that
	// AOFCommands holds every write that reaches the replica from now on.
	r.waitFor("the replica's AOF rewrite after the sync", func() bool {
		info, err := r.Info("persistence")
		return err == nil && info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0"
	})
	return r
}

// SentinelOptions are the failover settings of a monitored master.
type SentinelOptions struct {
	Quorum          int           // Sentinels that must agree the master is down; default 1
	DownAfter       time.Duration // silence after which the master is down; default 500 ms
	FailoverTimeout time.Duration // default 3 s
}

// Sentinel is a redis-server in sentinel mode (its Addr is what clients
// ask for the master) watching one master.
type Sentinel struct {
	*Process
	Name string // the monitored master's name, e.g. "mymaster"
}

// StartSentinel starts a Sentinel monitoring master under name, and waits
// until it has found the master's replicas (every one master reports
// connected) and reached them, so that it could fail over at once.
// It needs the redis-server binary, like StartProcess.
func StartSentinel(t testing.TB, name string, master *Process, opt SentinelOptions) *Sentinel {
	t.Helper()
	if opt.Quorum == 0 {
		opt.Quorum = 1
	}
	if opt.DownAfter == 0 {
		opt.DownAfter = 500 * time.Millisecond
	}
	if opt.FailoverTimeout == 0 {
		opt.FailoverTimeout = 3 * time.Second
	}
	p := newProcess(t)
	p.URL = ""                                    // a Sentinel keeps no data
	conf := filepath.Join(p.Dir, "sentinel.conf") // Sentinel rewrites it: it must be writable
	text := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
logfile %s
daemonize no
sentinel monitor %s 127.0.0.1 %d %d
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s %d
sentinel parallel-syncs %s 1
`, p.Port, p.Dir, filepath.Join(p.Dir, "redis.log"), name, master.Port, opt.Quorum,
		name, opt.DownAfter.Milliseconds(), name, opt.FailoverTimeout.Milliseconds(), name)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p.args = append(p.args, conf, "--sentinel")
	p.Start()
	s := &Sentinel{Process: p, Name: name}
	info, err := master.Info("replication")
	if err != nil {
		t.Fatalf("redistest: INFO of the master %s: %v", master.Addr, err)
	}
	want, _ := strconv.Atoi(info["connected_slaves"])
	s.waitFor(fmt.Sprintf("the sentinel to see %s and its %d replica(s)", master.Addr, want), func() bool {
		if addr, err := s.MasterAddr(); err != nil || addr != master.Addr {
			return false
		}
		return s.readyReplicas() >= want
	})
	return s
}

func (s *Sentinel) client() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, MaxRetries: -1, PoolSize: 1})
}

// readyReplicas counts the replicas the Sentinel could promote: reachable,
// and linked to their master.
func (s *Sentinel) readyReplicas() int {
	c := s.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	reps, err := c.Replicas(ctx, s.Name).Result()
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range reps {
		if r["flags"] == "slave" && r["master-link-status"] == "ok" {
			n++
		}
	}
	return n
}

// MasterAddr asks the Sentinel where the master is now (host:port).
func (s *Sentinel) MasterAddr() (string, error) {
	c := s.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	v, err := c.GetMasterAddrByName(ctx, s.Name).Result()
	if err != nil {
		return "", err
	}
	if len(v) != 2 {
		return "", fmt.Errorf("redistest: sentinel answered %q", v)
	}
	return net.JoinHostPort(v[0], v[1]), nil
}

// WaitMaster waits (up to 30 s) until the Sentinel names addr as the master,
// e.g. a replica it promotes after the master died, and returns when it did.
func (s *Sentinel) WaitMaster(addr string) time.Time {
	s.t.Helper()
	s.waitFor("the sentinel to name "+addr+" the master", func() bool {
		got, err := s.MasterAddr()
		return err == nil && got == addr
	})
	return time.Now()
}

// Cluster is a Redis Cluster of masters without replicas, each a Process.
type Cluster struct {
	Nodes []*Process
}

// Addrs lists the nodes' host:port, a client's seeds.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, n.Addr)
	}
	return out
}

// StartCluster starts masters redis-server processes in cluster mode (as
// StartProcess, with extra options), shares the 16384 slots out evenly,
// introduces the nodes to each other (what redis-cli --cluster create does,
// done here over the protocol) and waits until every node reports
// cluster_state:ok with all the nodes and all the slots. Each node's cluster
// bus uses its own free port (cluster-port), not PORT+10000.
func StartCluster(t testing.TB, masters int, extra ...string) *Cluster {
	t.Helper()
	if masters < 1 {
		t.Fatal("redistest: a cluster needs a node")
	}
	requireVersion(t, 7) // cluster-port, CLUSTER ADDSLOTSRANGE, MEET with a bus port
	c := &Cluster{}
	bus := make([]int, masters)
	for i := range masters {
		bus[i] = FreePort(t)
		args := append([]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus[i]), "--cluster-node-timeout", "5000"}, extra...)
		c.Nodes = append(c.Nodes, StartProcess(t, args...))
	}
	const slots = 16384
	for i, n := range c.Nodes {
		lo, hi := i*slots/masters, (i+1)*slots/masters-1
		for _, cmd := range [][]any{
			{"CLUSTER", "SET-CONFIG-EPOCH", i + 1}, // distinct epochs, as redis-cli gives them
			{"CLUSTER", "ADDSLOTSRANGE", lo, hi},
		} {
			if _, err := n.Do(cmd...); err != nil {
				t.Fatalf("redistest: %v on %s: %v", cmd, n.Addr, err)
			}
		}
	}
	for i, n := range c.Nodes[1:] {
		if _, err := c.Nodes[0].Do("CLUSTER", "MEET", "127.0.0.1", n.Port, bus[i+1]); err != nil {
			t.Fatalf("redistest: CLUSTER MEET %s: %v", n.Addr, err)
		}
	}
	for _, n := range c.Nodes {
		n.waitFor("cluster_state:ok on "+n.Addr, func() bool {
			info, err := n.Do("CLUSTER", "INFO")
			s, _ := info.(string)
			return err == nil && strings.Contains(s, "cluster_state:ok\r\n") &&
				strings.Contains(s, "cluster_slots_assigned:16384\r\n") &&
				strings.Contains(s, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r\n")
		})
	}
	return c
}

// requireVersion skips the test (fails it under CI) when redis-server is
// older than major.
func requireVersion(t testing.TB, major int) {
	t.Helper()
	out, err := exec.Command(binary(t, "redis-server"), "--version").Output()
	if err != nil {
		t.Fatalf("redistest: redis-server --version: %v", err)
	}
	// "Redis server v=7.0.15 sha=..."
	_, v, _ := strings.Cut(string(out), "v=")
	got, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if err != nil {
		t.Fatalf("redistest: redis-server --version said %q", out)
	}
	if got < major {
		msg := fmt.Sprintf("redis-server %d.x is too old for this test: it needs %d or later", got, major)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
