package main

import (
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
)

// A file Telegram refuses to hand over (getFile: 400 "file is too big", over
// the 20 MB a bot may download) is answered with what to do, never "send it
// again", which could not work.
func TestTooBigFileThroughTelegram(t *testing.T) {
	const token = "556:TOOBIG-test"
	const chat = 7100
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir(), "TELEGRAM_CHAT_RATE": "0",
	}
	_, stop := runInProcess(t, env)
	defer stop()

	big := make([]byte, fakebot.MaxDownloadSize+1)
	copy(big, "%PDF-1.7\n")
	fake.AddFile("big-pdf", big)
	// Telegram's message says nothing of the size here (file_size unknown),
	// so only getFile's refusal tells.
	fake.PushMessage(chat, map[string]any{"document": map[string]any{
		"file_id": "big-pdf", "file_unique_id": "ubig", "file_name": "账单.pdf", "mime_type": "application/pdf"}})
	got := fake.WaitSent(t, chat, 1)[0].Text
	if !strings.Contains(got, "20 MB") || strings.Contains(got, "再发送一次") {
		t.Fatalf("a file Telegram will not hand over was answered %q; want the 20 MB limit and what to do", got)
	}
	if n := len(fake.Calls("getFile")); n != 1 {
		t.Errorf("getFile called %d times; a refusal for size is final", n)
	}
}
