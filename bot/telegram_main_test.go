package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/ops"
)

// With TELEGRAM_BOT_TOKEN set, the same flows run on Telegram; SIGTERM (a
// cancelled context here) stops the bot gracefully with exit status 0.
func TestRunOnTelegramAndStopGracefully(t *testing.T) {
	const token = "777:MAIN-test"
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "LOG_FORMAT": "json", "LOG_LEVEL": "debug", "EVIDENCE_DIR": t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, &logs, func(k string) string { return env[k] })
	}()
	fake.PushText(42, "/start")
	sent := fake.WaitSent(t, 42, 1)
	if !strings.Contains(sent[0].Text, "你好，这里是“安宁”") {
		t.Fatalf("reply: %q", sent[0].Text)
	}
	fake.PushText(42, "1")
	fake.WaitSent(t, 42, 2)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit status %d; logs:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the bot did not stop")
	}
	if len(fake.Unconfirmed()) != 0 {
		t.Errorf("handled updates not confirmed at shutdown: %v", fake.Unconfirmed())
	}
	// Privacy: the logs name no token and no message text.
	checkNoSecrets(t, logs.String(), []string{token, "你好", "/start", "先别慌"})
	if !strings.Contains(logs.String(), "telegram bot connected") {
		t.Errorf("no start-up log line:\n%s", logs.String())
	}
}

// HTTP_ADDR serves /healthz and /readyz, which checks Redis and the Bot API.
func TestOpsEndpoints(t *testing.T) {
	const token = "778:OPS-test"
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	addr := freeAddr(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir(), "HTTP_ADDR": addr,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out bytes.Buffer
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()
	get := func(path string) (int, string) {
		deadline := time.Now().Add(30 * time.Second) // the process starts slowly under -race on a loaded machine
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v\n%s", path, err, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("readyz %d %q", code, body)
	}
	// Readiness answers from its last result for ops.ReadyCache: 20 probes
	// cost no getMe call more than the first.
	getMes := len(fake.Calls("getMe"))
	for range 20 {
		if code, body := get("/readyz"); code != 200 {
			t.Errorf("readyz %d %q", code, body)
		}
	}
	if n := len(fake.Calls("getMe")) - getMes; n > 1 {
		t.Errorf("20 readiness probes made %d getMe calls, want at most 1 (cached)", n)
	}
	fake.FailNext("getMe", 5, 502, 0)
	deadline := time.Now().Add(ops.ReadyCache + 5*time.Second)
	for {
		code, body := get("/readyz")
		if code == 503 && strings.Contains(body, "telegram") {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("readyz with the Bot API down: %d %q", code, body)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}

	// /metrics counts what happened: a message, its turn, a 429 on the reply.
	fake.FailNext("sendMessage", 1, 429, 1)
	fake.PushText(4242, "/start")
	fake.WaitSent(t, 4242, 1)
	_, body := get("/metrics")
	for _, want := range []string{
		`anning_updates_total{kind="command"} 1`,
		`anning_turn_duration_seconds_count 1`,
		`anning_telegram_429_total 1`,
		`anning_telegram_errors_total{kind="429",method="sendMessage"} 1`,
		`anning_active_sessions 1`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `"4242"`) {
		t.Error("a chat id appears as a label on /metrics")
	}
}

// Redis refusing the bot's password fails readiness, and the log says why
// once, not at every probe.
func TestReadinessWithAWrongRedisPassword(t *testing.T) {
	const token = "779:READY-test"
	fake := fakebot.New(t, token)
	p := redistest.StartProcess(t)
	admin := redistest.Server{URL: p.URL}
	if err := admin.Client(t).ConfigSet(context.Background(), "requirepass", "right-password").Err(); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": "redis://:wrong-password@" + p.Addr + "/0", "EVIDENCE_DIR": t.TempDir(), "HTTP_ADDR": addr,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()
	get := func() (int, string) {
		deadline := time.Now().Add(30 * time.Second) // the process starts slowly under -race on a loaded machine
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for range 3 {
		if code, body := get(); code != 503 || !strings.Contains(body, "redis") || strings.Contains(body, "wrong-password") {
			t.Errorf("readyz with a wrong Redis password: %d %q", code, body)
		}
	}
	time.Sleep(ops.ReadyCache + 200*time.Millisecond)
	if code, _ := get(); code != 503 {
		t.Errorf("readyz with a wrong Redis password, later: %d", code)
	}
	out := logs.String()
	if n := strings.Count(out, "not ready: redis"); n != 1 {
		t.Errorf("%d readiness failure lines, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "password is wrong") {
		t.Errorf("the log does not say the password is wrong:\n%s", out)
	}
	if strings.Contains(out, "wrong-password") {
		t.Errorf("the log shows the password:\n%s", out)
	}
}
