package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
)

// Forwarding the fixture screenshots through the fake Bot API yields a
// ledger with the right hashes and, after OCR, the phone numbers and
// platforms of the ground truth; it exports as a ZIP and /delete erases it all.
func TestEvidenceThroughTelegram(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract missing: CI must run the OCR tests")
		}
		t.Skip("tesseract not installed")
	}
	const token = "555:EVIDENCE-test"
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	evidenceDir := t.TempDir()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": evidenceDir, "TELEGRAM_CHAT_RATE": "0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, &logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()

	names := []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3_tg.jpg"}
	hashes := map[string]string{}
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join("evidence", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		hashes[name] = hex.EncodeToString(sum[:])
		fake.AddFile("file-"+name, data)
		fake.PushMessage(42, map[string]any{"caption": "催收截图", "photo": []map[string]any{
			{"file_id": "thumb-" + name, "file_unique_id": "t" + name, "width": 90, "height": 160},
			{"file_id": "file-" + name, "file_unique_id": "u" + name, "width": 720, "height": 1280, "file_size": len(data)},
		}})
		ack := fake.WaitSent(t, 42, i+1)[i]
		if !strings.Contains(ack.Text, "保存为第") || !strings.Contains(ack.Text, hashes[name][:8]) {
			t.Fatalf("%s: ack %q", name, ack.Text)
		}
	}
	sent := fake.WaitSent(t, 42, 6) // three acks, three OCR summaries
	var summaries strings.Builder
	for _, m := range sent[3:] {
		summaries.WriteString(m.Text + "\n")
	}
	for _, want := range []string{"13812345678", "021-61234567", "17701234567", "10690571234567", "15900001111",
		"17712345678", "0755-26543210", "95188", "4008123123", "闪电贷", "融易花", "有钱花"} {
		if !strings.Contains(summaries.String(), want) {
			t.Errorf("OCR summaries lack %q:\n%s", want, summaries.String())
		}
	}
	if len(fake.Calls("getFile")) != 3 {
		t.Errorf("getFile called %d times (the largest photo size only)", len(fake.Calls("getFile")))
	}

	fake.PushText(42, "/evidence")
	list := fake.WaitSent(t, 42, 7)[6].Text
	for _, name := range names {
		if !strings.Contains(list, hashes[name][:8]) {
			t.Errorf("list lacks %s's hash:\n%s", name, list)
		}
	}
	fake.PushText(42, "/evidence 导出")
	docs := fake.WaitSent(t, 42, 8)
	zipMsg := docs[7]
	if !strings.HasSuffix(zipMsg.DocumentName, ".zip") || len(zipMsg.Document) == 0 {
		t.Fatalf("export: %+v", zipMsg.DocumentName)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipMsg.Document), int64(len(zipMsg.Document)))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Items []struct {
			SHA256 string `json:"sha256"`
		} `json:"items"`
	}
	for _, f := range zr.File {
		if f.Name == "manifest.json" {
			r, _ := f.Open()
			json.NewDecoder(r).Decode(&manifest)
			r.Close()
		}
	}
	if len(manifest.Items) != 3 || manifest.Items[0].SHA256 != hashes[names[0]] {
		t.Errorf("manifest: %+v", manifest.Items)
	}

	// /delete erases the files and the ledger too.
	fake.PushText(42, "/delete")
	fake.WaitSent(t, 42, 9)
	fake.PushText(42, "确认删除")
	erased := fake.WaitSent(t, 42, 10)[9].Text
	if !strings.Contains(erased, "共删除 5 项数据") { // 3 files, the ledger, the session
		t.Errorf("erase: %q", erased)
	}
	var left []string
	filepath.WalkDir(evidenceDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("files left after /delete: %v", left)
	}
	fake.PushText(42, "/evidence")
	if got := fake.WaitSent(t, 42, 11)[10].Text; !strings.Contains(got, "还没有保存证据") {
		t.Errorf("ledger after /delete: %q", got)
	}
	_ = time.Second
}

// The console path works without Telegram: /file PATH submits evidence.
func TestConsoleFileEvidence(t *testing.T) {
	img, _ := filepath.Abs(filepath.Join("evidence", "testdata", "sms1_tg.jpg"))
	code, out, errOut := runBot(t, "/file "+img+"\n/file /no/such/file.png\n/evidence\n", nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"保存为第 1 份证据", "没有下载成功", "你的证据清单（共 1 份）"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

// /draft in the console: the draft as text, and its Word file saved beside
// the person, with the facts they gave.
func TestConsoleDraft(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := runBot(t, "/start borrower\n1\n1\n1\n4\n有错，我来更正\n13812345678\n闪电贷\n/draft\n1\n", nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"停止催收骚扰告知函", "闪电贷及其委托的催收人员", "使用13812345678等号码", "【请填写：开始被骚扰的日期】", "文件已保存到"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	docs, _ := filepath.Glob(filepath.Join(dir, "*.docx"))
	if len(docs) != 1 {
		t.Fatalf("docx files: %v", docs)
	}
	data, _ := os.ReadFile(docs[0])
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			r, _ := f.Open()
			body, _ := io.ReadAll(r)
			r.Close()
			found = strings.Contains(string(body), "13812345678") && strings.Contains(string(body), "闪电贷")
		}
	}
	if !found {
		t.Error("the Word file lacks the person's facts")
	}
}
