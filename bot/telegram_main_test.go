package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
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
	for _, secret := range []string{token, "你好", "/start", "先别慌"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "telegram bot connected") {
		t.Errorf("no start-up log line:\n%s", logs.String())
	}
}

// HTTP_ADDR serves /healthz and /readyz, which checks Redis and the Bot API.
func TestOpsEndpoints(t *testing.T) {
	const token = "778:OPS-test"
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir(), "HTTP_ADDR": addr,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, logs bytes.Buffer
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, &logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()
	get := func(path string) (int, string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", path, err)
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
	fake.FailNext("getMe", 5, 502, 0)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "telegram") {
		t.Errorf("readyz with the Bot API down: %d %q", code, body)
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
