package chat_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/session"
)

// counter counts the commands a client sends (a pipeline or script is one
// round trip).
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "evalsha" || !strings.Contains(cmd.String(), "NOSCRIPT") {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

func redisRunner(t testing.TB, srv *redistest.Server) (*chat.Runner, *counter, redis.UniversalClient) {
	client := srv.Client(t)
	cnt := &counter{}
	client.AddHook(cnt)
	store := session.NewRedis(client, srv.Prefix, time.Hour)
	return chat.NewRunner(engine(t), store, chat.Options{Timeout: time.Second}), cnt, client
}

// An ordinary turn costs one round trip: the compare-and-set script, over the
// session this process wrote last turn (no GET). When another process wrote
// in between, the turn costs three (the refused script, a GET, the script
// again) and is applied over what the other one wrote.
func TestRedisRoundTripsPerTurn(t *testing.T) {
	srv := redistest.Open(t)
	r, cnt, client := redisRunner(t, srv)
	other, _, _ := redisRunner(t, srv)
	ctx := context.Background()
	turn := func(r *chat.Runner, in string) int64 {
		t.Helper()
		before := cnt.n.Load()
		if _, err := r.Handle(ctx, "42", text(in)); err != nil {
			t.Fatal(err)
		}
		return cnt.n.Load() - before
	}
	for _, in := range []string{"/start", "1", "2"} { // warm up: the script gets loaded
		turn(r, in)
	}
	for _, in := range []string{"4", "5", "4", "5"} {
		if got := turn(r, in); got != 1 {
			t.Errorf("turn %q took %d round trips, want 1", in, got)
		}
	}
	turn(other, "/law")
	if got := turn(r, "1"); got != 3 {
		t.Errorf("the turn after another process wrote took %d round trips, want 3", got)
	}
	v, err := client.Get(ctx, srv.Prefix+":{u:42}:session").Result()
	if err != nil {
		t.Fatal(err)
	}
	if rev, _ := strconv.Atoi(strings.SplitN(v, "|", 2)[0]); rev != 9 || !strings.Contains(v, `"f":"law"`) {
		t.Errorf("after 9 turns: %s", v)
	}
}

// Two bot processes (two runners with their own clients) and many goroutines
// update one user's session: every turn must land.
func TestRedisTwoClientsLoseNothing(t *testing.T) {
	srv := redistest.Open(t)
	ctx := context.Background()
	a, _, client := redisRunner(t, srv)
	b, _, _ := redisRunner(t, srv)
	const perRunner = 60
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, r := range []*chat.Runner{a, b} {
		for i := range perRunner {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := "/law"
				if i%2 == 0 {
					in = "/channels"
				}
				if _, err := r.Handle(ctx, "42", text(in)); err != nil {
					failed.Add(1)
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	v, err := client.Get(ctx, srv.Prefix+":{u:42}:session").Result()
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := strconv.Atoi(strings.SplitN(v, "|", 2)[0])
	if rev != 2*perRunner || failed.Load() != 0 {
		t.Fatalf("revision %d after %d turns (%d failed): some were lost", rev, 2*perRunner, failed.Load())
	}
}

// Redis gone: the person is told to resend, nothing panics, and the bot
// carries on by itself once Redis is back.
func TestRedisDownAndBack(t *testing.T) {
	t.Setenv(redistest.EnvURL, "") // needs a server this test can stop
	srv := redistest.Open(t)
	r, _, _ := redisRunner(t, srv)
	ctx := context.Background()
	if _, err := r.Handle(ctx, "42", text("/law")); err != nil {
		t.Fatal(err)
	}
	srv.Mini.Close()
	replies, err := r.Handle(ctx, "42", text("1"))
	if err == nil || len(replies) != 1 || replies[0].Text != chat.MsgBusy {
		t.Fatalf("with Redis down: %v %v", replies, err)
	}
	if err := srv.Mini.Restart(); err != nil {
		t.Fatal(err)
	}
	replies, err = r.Handle(ctx, "42", text("1"))
	if err != nil || !strings.Contains(render(replies), "第一千零三十三条") {
		t.Fatalf("after restart: %v\n%s", err, render(replies))
	}
}

// Redis that accepts connections but never answers: the turn ends at its
// deadline with the busy message instead of hanging.
func TestRedisHungGivesBusyMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	client, err := session.NewRedisClient(session.RedisConfig{URL: "redis://" + ln.Addr().String(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	r := chat.NewRunner(engine(t), session.NewRedis(client, "x", time.Hour), chat.Options{Timeout: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a guard, not a measurement
	defer cancel()
	replies, err := r.Handle(ctx, "42", text("/start"))
	if err == nil || ctx.Err() != nil || replies[0].Text != chat.MsgBusy {
		t.Fatalf("hung Redis: %v %v (guard: %v)", replies, err, ctx.Err())
	}
}

// BenchmarkRedisTurn is one whole turn against Redis (real when
// ANNING_TEST_REDIS_URL is set): the µs per turn and round trips per turn.
func BenchmarkRedisTurn(b *testing.B) {
	srv := redistest.Open(b)
	r, cnt, _ := redisRunner(b, srv)
	ctx := context.Background()
	for _, in := range []string{"/start borrower", "2"} {
		if _, err := r.Handle(ctx, "42", text(in)); err != nil {
			b.Fatal(err)
		}
	}
	evs := []flow.Event{text("4"), text("5")}
	before := cnt.n.Load()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := evs[i%2]
		ev.Seq = int64(1000 + i) // as on Telegram: the turn's replies are kept for a redelivery
		if _, err := r.Handle(ctx, "42", ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cnt.n.Load()-before)/float64(i), "roundtrips/op")
}

// BenchmarkRedisMemoryPerSession fills a real redis-server with 10,000
// sessions, each the state of a person who walked the whole borrower path,
// and reports INFO used_memory per session.
func BenchmarkRedisMemoryPerSession(b *testing.B) {
	srv := redistest.Real(b)
	client := srv.Client(b)
	ctx := context.Background()
	r := chat.NewRunner(engine(b), session.NewMemory(0, nil), chat.Options{})
	walk := []string{"/start", "1", "1", "1", "1", "1", "有钱花", "1", "1", "1", "3", "2", "1", "1", "2", "2", "1", "1", "1", "1", "1"}
	mem := session.NewMemory(0, nil)
	r = chat.NewRunner(engine(b), mem, chat.Options{})
	for i, in := range walk {
		if _, err := r.Handle(ctx, "walker", flow.Event{Kind: flow.EventText, Text: in, Seq: int64(i + 1)}); err != nil {
			b.Fatal(err)
		}
	}
	e, _ := mem.Get(ctx, "walker")
	kept, _ := mem.Replies(ctx, "walker") // the last turn's replies, kept for a redelivery until delivered
	store := session.NewRedis(client, srv.Prefix, 720*time.Hour)
	const sessions = 10_000
	for b.Loop() {
		before := usedMemory(b, client)
		for i := range sessions {
			if _, err := store.Put(ctx, strconv.Itoa(100000000+i), e.Data, 0); err != nil {
				b.Fatal(err)
			}
		}
		after := usedMemory(b, client)
		b.ReportMetric(float64(after-before)/sessions, "B/session")
		b.ReportMetric(float64(len(e.Data)), "state-bytes")
		// Between a turn and the delivery of its replies, they are kept too;
		// once delivered, a marker of the update stays for 24 h.
		for i := range sessions {
			if _, err := store.PutWithReplies(ctx, strconv.Itoa(100000000+i), e.Data, kept, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(usedMemory(b, client)-before)/sessions, "B/undelivered-session")
		for i := range sessions {
			if err := store.Delivered(ctx, strconv.Itoa(100000000+i), kept.Seq); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(usedMemory(b, client)-before)/sessions, "B/active-session")
		b.ReportMetric(float64(len(kept.Replies)), "kept-reply-bytes")
		b.StopTimer()
		for i := range sessions {
			store.Delete(ctx, strconv.Itoa(100000000+i))
		}
		b.StartTimer()
	}
}

func usedMemory(b *testing.B, c redis.UniversalClient) int64 {
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}
