package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/listen"
	"github.com/anning-bot/anning/bot/session"
)

// Through the webhook: with Redis full (maxmemory, noeviction) the person
// gets the busy reply at once and Telegram a 200, instead of 5 s of retries,
// no reply and a 503.
func TestWebhookRedisFullAnswersBusy(t *testing.T) {
	p := redistest.StartProcess(t, "--maxmemory", "1mb", "--maxmemory-policy", "noeviction")
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	for i := 0; ; i++ {
		err := c.Set(context.Background(), fmt.Sprint("fill:", i), strings.Repeat("x", 16<<10), 0).Err()
		if redis.HasErrorPrefix(err, "OOM") {
			break
		}
		if err != nil || i > 1000 {
			t.Fatalf("filling redis: %d keys, %v", i, err)
		}
	}
	store := session.NewRedis(c, "anning", time.Hour)
	runner := chat.NewRunner(flow.NewEngine(shipped(t), time.Now), store, chat.Options{UnsureFor: 30 * time.Second})
	fake, _, hookURL, _ := startHook(t, runner, listen.Limits{})
	id := fake.PushText(42, "/start")
	start := time.Now()
	status, err := fake.Deliver(hookURL, hookSecret, id)
	took := time.Since(start)
	t.Logf("delivery with Redis full answered %d in %v", status, took)
	if status != 200 || err != nil {
		t.Fatalf("delivery with Redis full: %d %v, want 200 (the person was told)", status, err)
	}
	sent := fake.Sent(42)
	if len(sent) != 1 || sent[0].Text != chat.MsgBusy {
		t.Fatalf("sent %+v, want the busy message", sent)
	}
	if took >= 30*time.Second {
		t.Errorf("answered after %v: it waited for the unsure-turn window", took)
	}
}
