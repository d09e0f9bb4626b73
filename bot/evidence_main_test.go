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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/logid"
)

// runInProcess runs the bot with env until stop is called (at the latest when
// the test ends); logs holds what it logged.
func runInProcess(t *testing.T, env map[string]string) (logs *bytes.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	logs = &bytes.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, strings.NewReader(""), &out, logs, func(k string) string { return env[k] })
	}()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return logs, stop
}

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
	const chat = 86420517 // distinctive, so the log check below can look for it
	fake := fakebot.New(t, token)
	// A whole bot with OCR, often beside other tests under -race: waiting
	// longer than the default is no timing assertion, only patience.
	fake.SetWaitTimeout(time.Minute)
	srv := redistest.Open(t)
	evidenceDir := t.TempDir()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": evidenceDir, "TELEGRAM_CHAT_RATE": "0",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "json", "LOG_ID_KEY": "test-log-key",
	}
	logs, stop := runInProcess(t, env)
	defer stop()

	names := []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3_tg.jpg"}
	hashes := map[string]string{}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join("evidence", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		hashes[name] = hex.EncodeToString(sum[:])
		fake.AddFile("file-"+name, data)
		fake.PushMessage(chat, map[string]any{"caption": "催收截图", "photo": []map[string]any{
			{"file_id": "thumb-" + name, "file_unique_id": "t" + name, "width": 90, "height": 160},
			{"file_id": "file-" + name, "file_unique_id": "u" + name, "width": 720, "height": 1280, "file_size": len(data)},
		}})
		// Found by content: an earlier screenshot's OCR result may come first.
		if ack := fake.WaitSentWith(t, chat, hashes[name][:8]); !strings.Contains(ack.Text, "保存为第") {
			t.Fatalf("%s: ack %q", name, ack.Text)
		}
	}
	sent := fake.WaitSent(t, chat, 6) // three acks, three OCR summaries
	var summaries strings.Builder
	for _, m := range sent {
		if strings.Contains(m.Text, "份证据里找到的信息") {
			summaries.WriteString(m.Text + "\n")
		}
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

	fake.PushText(chat, "/evidence")
	list := fake.WaitSent(t, chat, 7)[6].Text
	for _, name := range names {
		if !strings.Contains(list, hashes[name][:8]) {
			t.Errorf("list lacks %s's hash:\n%s", name, list)
		}
	}
	fake.PushText(chat, "/evidence 导出")
	docs := fake.WaitSent(t, chat, 8)
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

	// Every draft kind, from the fixture evidence and the person's answers:
	// text and a Word file with the facts, the statutes and the hashes.
	say := func(text string) {
		n := len(fake.Sent(chat))
		fake.PushText(chat, text)
		fake.WaitSent(t, chat, n+1)
	}
	// The person confirms the numbers read from the evidence ("对的") and
	// names the platform; the drafts take the collectors' numbers from the
	// evidence, never the relative's number a collector quoted (15900001111).
	for _, in := range []string{"/start borrower", "1", "1", "1", "4", "对的", "闪电贷", "/draft"} {
		say(in)
	}
	collectors := []string{"13812345678", "021-61234567", "17712345678"}
	kinds := map[string][]string{
		"停止催收骚扰告知函":  append([]string{"闪电贷及其委托的催收人员"}, collectors...),
		"向借款平台投诉":    {"13812345678", "17712345678", hashes[names[0]]},
		"向金融监管部门投诉":  {"金融消费投诉", "021-61234567", "第六十五条", hashes[names[1]]},
		"民事起诉状":      {"原告", "第一千一百八十三条", hashes[names[1]]},
		"亲友告知声明":     {"不是借款人"},
		"黑猫投诉（公开曝光）": {"闪电贷催收骚扰", "138****5678"},
		"报案材料（公安机关）": {"13812345678", "第五十条", hashes[names[2]]},
	}
	var policeDOCX []byte
	for _, label := range []string{"停止催收骚扰告知函", "向借款平台投诉", "向金融监管部门投诉", "民事起诉状", "亲友告知声明", "黑猫投诉（公开曝光）", "报案材料（公安机关）"} {
		before := len(fake.Sent(chat))
		fake.PushText(chat, label)
		// The questions a draft asks before it is made: the first one asks
		// to use the evidence's facts, the number, disclosure and abuse.
		for _, answer := range map[string][]string{
			"停止催收骚扰告知函": {"对，写进去", "跳过", "跳过", "说了", "没有", "都没有"},
			"向金融监管部门投诉": {"投诉过了", "网络小额贷款公司"},
			"民事起诉状":     {"销售"},
			"亲友告知声明":    {"都没有"},
		}[label] {
			fake.WaitSent(t, chat, before+1)
			before = len(fake.Sent(chat))
			fake.PushText(chat, answer)
		}
		var text strings.Builder
		var doc fakebot.Sent
		deadline := time.Now().Add(20 * time.Second)
		for doc.DocumentName == "" && time.Now().Before(deadline) {
			for _, m := range fake.Sent(chat)[before:] {
				text.Reset()
				if m.DocumentName != "" {
					doc = m
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.HasSuffix(doc.DocumentName, ".docx") {
			t.Fatalf("%s: no Word file", label)
		}
		for _, m := range fake.Sent(chat)[before:] {
			text.WriteString(m.Text + "\n")
		}
		body := docxText(t, doc.Document)
		if strings.Contains(text.String(), "15900001111") || strings.Contains(body, "15900001111") {
			t.Errorf("%s: a relative's number went into the draft", label)
		}
		for _, want := range kinds[label] {
			if !strings.Contains(text.String(), want) || !strings.Contains(body, want) {
				t.Errorf("%s: text or Word file lacks %q", label, want)
			}
		}
		if label == "报案材料（公安机关）" {
			policeDOCX = doc.Document
			if strings.Contains(text.String(), "第二百九十三条之一") {
				t.Error("刑法第二百九十三条之一 cited without an illegal debt")
			}
		}
		say("生成其他文书")
	}
	// A real reader finds the facts, the statute text and the hashes.
	if soffice, err := exec.LookPath("soffice"); err == nil {
		read := readWithLibreOffice(t, soffice, policeDOCX)
		for _, want := range []string{"13812345678", "17712345678", "闪电贷", "多次发送淫秽、侮辱、恐吓等信息", hashes[names[2]], "公安机关负责人批准"} {
			if !strings.Contains(read, want) {
				t.Errorf("LibreOffice did not read %q in the police report:\n%s", want, read)
			}
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("soffice missing: CI must read the drafts with LibreOffice")
	}

	// /delete erases the files and the ledger too.
	n := len(fake.Sent(chat))
	fake.PushText(chat, "/delete")
	fake.WaitSent(t, chat, n+1)
	fake.PushText(chat, "确认删除")
	erased := fake.WaitSent(t, chat, n+2)[n+1].Text
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
	fake.PushText(chat, "/evidence")
	if got := fake.WaitSent(t, chat, n+3)[n+2].Text; !strings.Contains(got, "还没有保存证据") {
		t.Errorf("ledger after /delete: %q", got)
	}

	// Privacy: the debug-level logs of this whole session (evidence, OCR,
	// every draft, export, erase) name the person only by pseudonym, and
	// hold no token, typed text, phone number, file name or file content.
	stop()
	secrets := []string{token, "EVIDENCE-test", strconv.Itoa(chat), "催收截图", "对的", "不是，或者不清楚", "网络小额贷款公司",
		"确认删除", "生成其他文书", "闪电贷", "融易花", "有钱花"}
	secrets = append(secrets, collectors...)
	secrets = append(secrets, "15900001111", "17701234567", "10690571234567", "0755-26543210", "95188", "4008123123")
	for _, name := range names {
		secrets = append(secrets, name, hashes[name][:16])
	}
	log := logs.String()
	checkNoSecrets(t, log, secrets)
	pseudonym := logid.New("test-log-key").Of(strconv.Itoa(chat))
	for _, want := range []string{`"user":"` + pseudonym + `"`, `"msg":"evidence kept"`, `"msg":"user data erased"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
}

// readWithLibreOffice converts a DOCX to plain text with LibreOffice headless.
func readWithLibreOffice(t *testing.T, soffice string, docx []byte) string {
	dir := t.TempDir()
	in := filepath.Join(dir, "draft.docx")
	if err := os.WriteFile(in, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "txt:Text (encoded):UTF8", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v: %s", err, out)
	}
	return string(mustRead(t, filepath.Join(dir, "draft.txt")))
}

// The console path works without Telegram: /file PATH submits evidence.
func TestConsoleFileEvidence(t *testing.T) {
	img, _ := filepath.Abs(filepath.Join("evidence", "testdata", "sms1_tg.jpg"))
	code, out, errOut := runBot(t, "/file "+img+"\n/file /no/such/file.png\n/evidence\n/quit\n", nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"保存为第 1 份证据", "找不到这个文件：/no/such/file.png", "你的证据清单（共 1 份）"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	// /quit waits for the screenshot's OCR: its result comes before the goodbye.
	if read, bye := strings.Index(out, "份证据里找到的信息"), strings.Index(out, "再见"); read < 0 || bye < read {
		t.Errorf("the OCR result (at %d) is not printed before the goodbye (at %d):\n%s", read, bye, out)
	}
	if strings.Contains(errOut, "file.png") {
		t.Errorf("the missing file's path reached the log:\n%s", errOut)
	}
}

// /draft in the console: the draft as text, and its Word file kept with
// the person's other data (not in the current folder), with the facts they
// gave; /delete removes it too.
func TestConsoleDraft(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	vars := map[string]string{"EVIDENCE_DIR": filepath.Join(dir, "data", "evidence")}
	code, out, errOut := runBot(t, "/start borrower\n1\n1\n1\n4\n有错，我来更正\n13812345678\n闪电贷\n/draft\n停止催收骚扰告知函\n不用，我自己填\n跳过\n说了\n没有\n都没有\n", vars)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"停止催收骚扰告知函", "闪电贷及其委托的催收人员", "使用13812345678等号码", "【请填写：开始被骚扰的日期】", "文件已保存到"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	if stray, _ := filepath.Glob(filepath.Join(dir, "*.docx")); len(stray) != 0 {
		t.Errorf("documents written into the current folder: %v", stray)
	}
	docs, _ := filepath.Glob(filepath.Join(dir, "data", "documents", "console", "*.docx"))
	if len(docs) != 1 {
		t.Fatalf("docx files: %v", docs)
	}
	if body := docxText(t, mustRead(t, docs[0])); !strings.Contains(body, "13812345678") || !strings.Contains(body, "闪电贷") {
		t.Error("the Word file lacks the person's facts")
	}
	code, out, errOut = runBot(t, "/delete\n确认删除\n", vars)
	if code != 0 || !strings.Contains(out, "已经删除") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "data", "documents", "console", "*")); len(left) != 0 {
		t.Errorf("/delete left the documents: %v", left)
	}
}

func mustRead(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// docxText returns word/document.xml of a DOCX.
func docxText(t *testing.T, data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			r, _ := f.Open()
			body, _ := io.ReadAll(r)
			r.Close()
			return string(body)
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}
