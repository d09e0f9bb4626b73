package chat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// A Redis that answers with an error (full under maxmemory/noeviction, an
// ACL without write permission) did not apply the turn: the person is told
// "busy" at once, instead of the runner waiting UnsureFor to learn whether
// it landed and then answering nothing.
func TestRedisRefusalIsBusyAtOnce(t *testing.T) {
	cases := map[string]func(t *testing.T) string{
		"oom": func(t *testing.T) string {
			p := redistest.StartProcess(t, "--maxmemory", "1mb", "--maxmemory-policy", "noeviction")
			c := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer c.Close()
			value := strings.Repeat("x", 16<<10)
			for i := 0; ; i++ {
				err := c.Set(context.Background(), fmt.Sprint("fill:", i), value, 0).Err()
				if redis.HasErrorPrefix(err, "OOM") {
					break
				}
				if err != nil || i > 1000 {
					t.Fatalf("filling redis: %d keys, %v", i, err)
				}
			}
			return p.URL
		},
		"noperm": func(t *testing.T) string {
			p := redistest.StartProcess(t)
			c := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer c.Close()
			if err := c.Do(context.Background(), "ACL", "SETUSER", "reader", "on", ">readerpw", "~*", "+@all", "-@write").Err(); err != nil {
				t.Fatal(err)
			}
			return "redis://reader:readerpw@" + p.Addr + "/0"
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			srv := &redistest.Server{URL: setup(t), Real: true, Prefix: "anning"}
			store := session.NewRedis(srv.Client(t), srv.Prefix, time.Hour)
			// A long UnsureFor: waiting for an unsure turn would outlast ctx.
			r := chat.NewRunner(engine(t), store, chat.Options{Timeout: time.Second, UnsureFor: time.Minute})
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			start := time.Now()
			replies, err := r.Handle(ctx, "42", flow.Event{Kind: flow.EventText, Text: "/start", Seq: 7})
			took := time.Since(start)
			t.Logf("refused turn answered in %v: %v", took, err)
			if !errors.Is(err, session.ErrRefused) || errors.Is(err, chat.ErrUnsettled) {
				t.Fatalf("error %v: want a refusal, not an unsettled turn", err)
			}
			if len(replies) != 1 || replies[0].Text != chat.MsgBusy {
				t.Fatalf("replies %+v: want the busy message", replies)
			}
			if ctx.Err() != nil {
				t.Fatalf("answered only after %v, when the context ended", took)
			}
		})
	}
}
