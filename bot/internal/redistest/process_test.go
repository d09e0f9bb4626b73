package redistest

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// A private redis-server keeps what it acknowledged across SIGTERM and, with
// appendfsync always, across SIGKILL; AOFCommands shows the writes.
func TestProcessRestartKeepsData(t *testing.T) {
	p := StartProcess(t, "--appendfsync", "always")
	ctx := context.Background()
	set := func(key string) {
		t.Helper()
		c := redis.NewClient(&redis.Options{Addr: p.Addr})
		defer c.Close()
		if err := c.Set(ctx, key, "v-"+key, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) string {
		t.Helper()
		c := redis.NewClient(&redis.Options{Addr: p.Addr})
		defer c.Close()
		v, err := c.Get(ctx, key).Result()
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		return v
	}
	set("a")
	p.Stop()
	if p.Running() {
		t.Fatal("still running after Stop")
	}
	p.Start()
	set("b")
	p.Kill()
	p.Start()
	if get("a") != "v-a" || get("b") != "v-b" {
		t.Fatal("data lost across the restarts")
	}
	cmds, err := p.AOFCommands()
	if err != nil {
		t.Fatal(err)
	}
	var sets [][]string
	for _, c := range cmds {
		if c[0] == "SET" || c[0] == "set" {
			sets = append(sets, c[1:3])
		}
	}
	if !slices.EqualFunc(sets, [][]string{{"a", "v-a"}, {"b", "v-b"}}, slices.Equal[[]string]) {
		t.Fatalf("SETs in the AOF: %q (all: %q)", sets, cmds)
	}
}

func TestParseRESP(t *testing.T) {
	cmds, err := parseRESP([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n*3\r\n$3\r\nSET\r\n$1\r\nk"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"SELECT", "0"}, {"SET", "k", "a\r\nb"}} // the cut-off last command is left out
	if !slices.EqualFunc(cmds, want, slices.Equal[[]string]) {
		t.Fatalf("got %q", cmds)
	}
	if _, err := parseRESP([]byte("+OK\r\n")); err == nil {
		t.Fatal("no error for a non-command")
	}
}
