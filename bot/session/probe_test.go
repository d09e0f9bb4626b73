package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// Probe writes within the prefix: it passes where writes work, and fails,
// marked ErrRefused with the likely cause, where Redis answers PING but
// refuses writes (an ACL without write permission) or the password is wrong.
func TestProbeNeedsARealWrite(t *testing.T) {
	p := redistest.StartProcess(t)
	ctx := context.Background()
	if err := redis.NewClient(&redis.Options{Addr: p.Addr}).ConfigSet(ctx, "requirepass", "rightpw").Err(); err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(&redis.Options{Addr: p.Addr, Password: "rightpw"})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", "reader", "on", ">readerpw", "~*", "+@all", "-@write").Err(); err != nil {
		t.Fatal(err)
	}
	probe := func(url string) error {
		c, err := session.NewRedisClient(session.RedisConfig{URL: url, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return session.NewRedis(c, "pfx", time.Hour).Probe(ctx)
	}
	if err := probe("redis://:rightpw@" + p.Addr + "/0"); err != nil {
		t.Fatalf("probe with the right password: %v", err)
	}
	if ttl := admin.PTTL(ctx, "pfx:ready").Val(); ttl <= 0 || ttl > 10*time.Second {
		t.Errorf("probe key pfx:ready expires in %v, want a short TTL", ttl)
	}
	c := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "reader", Password: "readerpw"})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("the read-only user cannot even PING: %v", err)
	}
	for url, cause := range map[string]string{
		"redis://reader:readerpw@" + p.Addr + "/0": "may not write pfx:*",
		"redis://:wrongpw@" + p.Addr + "/0":        "password is wrong",
	} {
		err := probe(url)
		if !errors.Is(err, session.ErrRefused) || !strings.Contains(err.Error(), cause) {
			t.Errorf("probe as %s: %v, want a refusal saying %q", strings.SplitN(url, "@", 2)[0], err, cause)
		}
		if err != nil && strings.Contains(err.Error(), "pw") && strings.Contains(err.Error(), "readerpw") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
