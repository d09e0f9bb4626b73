package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/internal/s3test"
)

// With EVIDENCE_S3_* set, a screenshot sent on Telegram lands in the bucket
// (named by its hash under a hashed folder), /evidence 导出 reads it back,
// and /delete leaves the bucket empty.
func TestEvidenceInS3ThroughTelegram(t *testing.T) {
	s3 := s3test.Real(t)
	const token = "556:S3-test"
	const chat = 97531
	fake := fakebot.New(t, token)
	// A whole bot with OCR, often beside other tests under -race: waiting
	// longer than the default is no timing assertion, only patience.
	fake.SetWaitTimeout(time.Minute)
	srv := redistest.Open(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "TELEGRAM_CHAT_RATE": "0",
		"EVIDENCE_DIR":         filepath.Join(t.TempDir(), "unused"),
		"EVIDENCE_S3_ENDPOINT": "http://" + s3.Endpoint, "EVIDENCE_S3_BUCKET": s3.Bucket,
		"EVIDENCE_S3_ACCESS_KEY": s3.AccessKey, "EVIDENCE_S3_SECRET_KEY": s3.SecretKey,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, &logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()

	data, err := os.ReadFile(filepath.Join("evidence", "testdata", "sms1_tg.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	fake.AddFile("file-s3", data)
	fake.PushMessage(chat, map[string]any{"photo": []map[string]any{
		{"file_id": "file-s3", "file_unique_id": "us3", "width": 720, "height": 1280, "file_size": len(data)}}})
	if ack := fake.WaitSent(t, chat, 1)[0].Text; !strings.Contains(ack, "保存为第 1 份证据") {
		t.Fatalf("ack %q", ack)
	}
	// The OCR result comes on its own: wait for it, so it cannot land among
	// the replies below.
	fake.WaitSentWith(t, chat, "份证据里找到的信息")
	client := s3.Client(t)
	objects := func() []string {
		var keys []string
		for o := range client.ListObjects(context.Background(), s3.Bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			keys = append(keys, o.Key)
		}
		return keys
	}
	var files int
	for _, k := range objects() {
		if strings.Contains(k, "97531") {
			t.Errorf("object key %q names the person", k)
		}
		if len(k) > 64 && !strings.HasSuffix(k, "/.last") {
			files++
		}
	}
	if files != 1 {
		t.Fatalf("bucket holds %v, want the one screenshot", objects())
	}
	if _, err := os.Stat(env["EVIDENCE_DIR"]); err == nil {
		t.Error("EVIDENCE_DIR was used although S3 is configured")
	}

	fake.PushText(chat, "/evidence 导出")
	zipped := fake.WaitSentWith(t, chat, ".zip")
	if !bytes.Contains(zipped.Document, []byte("manifest.json")) || len(zipped.Document) < len(data)/2 {
		t.Errorf("export from S3: %q, %d bytes", zipped.DocumentName, len(zipped.Document))
	}

	fake.PushText(chat, "/delete")
	fake.WaitSentWith(t, chat, "确定要删除")
	fake.PushText(chat, "确认删除")
	fake.WaitSentWith(t, chat, "共删除")
	if left := objects(); len(left) != 0 {
		t.Errorf("objects left after /delete: %v", left)
	}
}

// A bucket that does not exist stops the bot at start with a clear message.
func TestMissingS3BucketRefusedAtStart(t *testing.T) {
	s3 := s3test.Real(t)
	code, _, errOut := runBot(t, "", map[string]string{
		"EVIDENCE_S3_ENDPOINT": "http://" + s3.Endpoint, "EVIDENCE_S3_BUCKET": "no-such-bucket-" + s3.Bucket,
		"EVIDENCE_S3_ACCESS_KEY": s3.AccessKey, "EVIDENCE_S3_SECRET_KEY": s3.SecretKey,
	})
	if code != 1 || !strings.Contains(errOut, "does not exist; create it first") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, s3.SecretKey) {
		t.Error("the secret key was printed")
	}
}
