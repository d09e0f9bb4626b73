package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
)

// Through the fake Bot API: a voice message and a forwarded album of three
// screenshots. The voice message is kept (with its duration); the album is
// acknowledged once and summarised once.
func TestVoiceAndAlbumThroughTelegram(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract missing: CI must run the OCR tests")
		}
		t.Skip("tesseract not installed")
	}
	const token = "556:MEDIA-test"
	const chat = 4242
	fake := fakebot.New(t, token)
	// A whole bot with OCR, often beside other tests under -race: waiting
	// longer than the default is no timing assertion, only patience.
	fake.SetWaitTimeout(time.Minute)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"EVIDENCE_DIR": t.TempDir(), "TELEGRAM_CHAT_RATE": "0",
	}
	runInProcess(t, env)

	voice := append([]byte("OggS\x00\x02\x00\x00"), bytes.Repeat([]byte{7}, 3000)...)
	fake.AddFile("voice-1", voice)
	fake.PushMessage(chat, map[string]any{"voice": map[string]any{"file_id": "voice-1", "file_unique_id": "uv1", "duration": 83, "mime_type": "audio/ogg", "file_size": len(voice)}})
	ack := fake.WaitSent(t, chat, 1)[0].Text
	for _, want := range []string{"保存为第 1 份证据", "录音，时长 1分23秒", "原样保存"} {
		if !strings.Contains(ack, want) {
			t.Errorf("voice ack lacks %q: %q", want, ack)
		}
	}

	for i, name := range []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3_tg.jpg"} {
		data, err := os.ReadFile(filepath.Join("evidence", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		fake.AddFile("album-"+name, data)
		fake.PushMessage(chat, map[string]any{"media_group_id": "13579", "photo": []map[string]any{
			{"file_id": "album-" + name, "file_unique_id": "ua" + name, "width": 720, "height": 1280, "file_size": len(data)},
		}, "forward_date": 1710480000 + i})
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if sent := fake.Sent(chat); len(sent) >= 3 && strings.Contains(sent[len(sent)-1].Text, "这组证据") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // nothing more may come
	sent := fake.Sent(chat)
	var texts []string
	for _, m := range sent[1:] {
		texts = append(texts, m.Text)
	}
	if len(texts) != 2 {
		t.Fatalf("%d messages for an album of three, want 2:\n%s", len(texts), strings.Join(texts, "\n---\n"))
	}
	if !strings.Contains(texts[0], "已收到这组 3 个文件，保存为第 2–4 份证据（图片 3 张）") {
		t.Errorf("acknowledgement: %q", texts[0])
	}
	for _, want := range []string{"这组证据（第 2–4 份）", "13812345678", "闪电贷"} {
		if !strings.Contains(texts[1], want) {
			t.Errorf("summary lacks %q: %q", want, texts[1])
		}
	}
}
