package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
)

// chromium is the system's browser (Debian's chromium package); in CI a
// missing one fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ANNING_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium missing: CI must run the browser tests (apt-get install chromium)")
	}
	t.Skip("chromium not installed")
	return ""
}

// phoneBrowser starts headless Chromium at a phone-sized viewport with a
// fresh profile; downloads go to the returned folder.
func phoneBrowser(t *testing.T) (context.Context, string) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	downloads := t.TempDir()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}),
	); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, downloads
}

// waitHTTP waits until the web chat answers.
func waitHTTP(t testing.TB, url string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if resp, err := http.Get(url + "/static/app.css"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("the web chat did not start at %s", url)
}

// logText is the conversation as the page shows it.
func logText(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Text("#log"))
}

// waitLog waits until the conversation shows want.
func waitLog(t *testing.T, ctx context.Context, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s, err := logText(ctx) // fails while a new page loads: read again
		if err == nil && strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed %q (%v); it shows:\n%s", want, err, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// activeChoices are the labels of the buttons of the question now asked.
func activeChoices(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function(){var f=document.querySelectorAll("form.ch:not(.old)");if(!f.length)return [];var b=f[f.length-1].querySelectorAll("button");var o=[];for(var i=0;i<b.length;i++)o.push(b[i].textContent);return o;})()`))
}

func press(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var f=document.querySelectorAll("form.ch:not(.old)");var b=f[f.length-1].querySelectorAll("button");for(var i=0;i<b.length;i++){if(b[i].textContent===%q){b[i].click();return true;}}return false;})()`, label)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil || !ok {
		t.Fatalf("press %q: %v %v", label, ok, err)
	}
}

func messageCount(ctx context.Context) int {
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#log .m").length`))
	return n
}

// waitMore waits until the page shows more messages than n.
func waitMore(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for messageCount(ctx) <= n {
		if time.Now().After(deadline) {
			s, _ := logText(ctx)
			t.Fatalf("no new message after %d:\n%s", n, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A person with only a phone browser: types their story, presses a
// button, uploads a screenshot and sees the numbers read from it (real
// tesseract), downloads a draft, and erases everything. Real Chromium at
// a phone's size, the bot as `WEB_ADDR=... go run ./bot` runs it, on Redis.
func TestWebChatInAPhoneBrowser(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract missing: CI must run the OCR tests")
		}
		t.Skip("tesseract not installed")
	}
	ctx, downloads := phoneBrowser(t)
	srv := redistest.Open(t)
	addr := freeAddr(t)
	env := map[string]string{"WEB_ADDR": addr, "REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix,
		"EVIDENCE_DIR": t.TempDir(), "LOG_FORMAT": "json", "LOG_LEVEL": "debug", "LOG_ID_KEY": "test-log-key"}
	logs, stop := runInProcess(t, env)
	defer stop()
	base := "http://" + addr
	waitHTTP(t, base)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible("#text")); err != nil {
		t.Fatal(err)
	}
	waitLog(t, ctx, "你好，这里是“安宁”", 10*time.Second)
	cls, _ := chromedp.Run(ctx, chromedp.AttributeValue("html", "class"))
	if !strings.Contains(cls.Value, "js") {
		t.Fatalf("the page's script did not run (html class %q): CSP or a script error", cls.Value)
	}

	// Type a story; Enter sends it, without reloading the page.
	chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stayed = true`))
	story := "催收天天给我妈妈和同事打电话，说我欠了闪电贷8000元"
	n := messageCount(ctx)
	if err := chromedp.Do(ctx, chromedp.Click("#text"), chromedp.SendKeys("#text", story+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitMore(t, ctx, n+1)
	waitLog(t, ctx, story, 5*time.Second)
	stayed, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stayed === true`))
	if !stayed {
		t.Fatal("sending reloaded the page: the script's post did not run")
	}

	// Press a button of the question now asked.
	choices, err := activeChoices(ctx)
	if err != nil || len(choices) == 0 {
		s, _ := logText(ctx)
		t.Fatalf("no buttons after the story (%v):\n%s", err, s)
	}
	n = messageCount(ctx)
	press(t, ctx, choices[0])
	waitMore(t, ctx, n+1)
	waitLog(t, ctx, choices[0], 5*time.Second)

	// A message and, before its answer is back, a tap on 隐私说明: both go,
	// in order.
	if err := chromedp.Do(ctx, chromedp.SendKeys("#text", "/help"+kb.Enter), chromedp.Click("#privacy")); err != nil {
		t.Fatal(err)
	}
	page := waitLog(t, ctx, "你的数据这样处理", 20*time.Second)
	if h, p := strings.LastIndex(page, "可用的命令"), strings.LastIndex(page, "你的数据这样处理"); h < 0 || h > p {
		t.Fatalf("/help then 隐私说明 not both answered in order:\n%s", page)
	}

	// Upload a screenshot; the numbers read from it arrive later, by the
	// event stream.
	shot, err := filepath.Abs(filepath.Join("web", "testdata", "sms1.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#files", []string{shot})); err != nil {
		t.Fatal(err)
	}
	waitLog(t, ctx, "保存为第 1 份证据", 20*time.Second)
	page = waitLog(t, ctx, "13812345678", 90*time.Second)
	if !strings.Contains(page, "第 1 份证据里找到的信息") {
		t.Fatalf("no OCR summary:\n%s", page)
	}
	if path := os.Getenv("ANNING_WEB_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", path)
	}

	// A draft, downloaded: /draft, then the answers.
	n = messageCount(ctx)
	if err := chromedp.Do(ctx, chromedp.SendKeys("#text", "/draft"+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitMore(t, ctx, n+1)
	prefer := []string{"停止催收骚扰告知函", "对，写进去", "跳过", "不用，我自己填", "说了", "没有", "都没有"}
	var link string
	for step := 0; step < 20 && link == ""; step++ {
		link, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var a=document.querySelectorAll("a.dl");for(var i=0;i<a.length;i++){if(/\.docx$/.test(a[i].getAttribute("download")))return a[i].getAttribute("href");}return "";})()`))
		if link != "" {
			break
		}
		choices, _ := activeChoices(ctx)
		pick := ""
		for _, p := range prefer {
			for _, c := range choices {
				if c == p && pick == "" {
					pick = c
				}
			}
		}
		if pick == "" && len(choices) > 0 {
			pick = choices[0]
		}
		n = messageCount(ctx)
		if pick == "" {
			chromedp.Do(ctx, chromedp.SendKeys("#text", "跳过"+kb.Enter))
		} else {
			press(t, ctx, pick)
		}
		waitMore(t, ctx, n)
		time.Sleep(200 * time.Millisecond)
	}
	if link == "" {
		s, _ := logText(ctx)
		t.Fatalf("no draft to download:\n%s", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`a.dl[href="`+link+`"]`)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && got == nil; time.Sleep(100 * time.Millisecond) {
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".docx") {
				got, _ = os.ReadFile(filepath.Join(downloads, e.Name()))
			}
		}
	}
	if len(got) < 1000 || string(got[:2]) != "PK" {
		t.Fatalf("the draft did not download as a Word file (%d bytes)", len(got))
	}

	// Erase: the header's link, its confirmation; the cookie goes too.
	if err := chromedp.Do(ctx, chromedp.Click("#delete"), chromedp.WaitVisible("#erase"), chromedp.Click("#erase")); err != nil {
		t.Fatal(err)
	}
	waitLog(t, ctx, "共删除", 20*time.Second)
	var cookies []*network.Cookie
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		cookies = res.Cookies
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if len(cookies) != 0 {
		t.Fatalf("cookies left after erasure: %d", len(cookies))
	}

	// With JavaScript off (a new tab of the same phone): plain form posts,
	// each answered by the page again.
	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(base+"/"), chromedp.WaitVisible("#text")); err != nil {
		t.Fatal(err)
	}
	waitLog(t, tab, "你好，这里是“安宁”", 10*time.Second)
	if cls, _ := chromedp.Run(tab, chromedp.AttributeValue("html", "class")); strings.Contains(cls.Value, "js") {
		t.Fatal("the script ran in the tab without JavaScript")
	}
	if err := chromedp.Do(tab, chromedp.SendKeys("#text", "/help"+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitLog(t, tab, "可用的命令", 20*time.Second)
	n = messageCount(tab)
	if err := chromedp.Do(tab, chromedp.Click("#menu")); err != nil {
		t.Fatal(err)
	}
	waitMore(t, tab, n+1)
	choices, _ = activeChoices(tab)
	if len(choices) == 0 {
		t.Fatal("no buttons after the menu without JavaScript")
	}
	n = messageCount(tab)
	press(t, tab, choices[len(choices)-1]) // a click: the form posts itself
	waitMore(t, tab, n+1)

	stop()
	checkNoSecrets(t, logs.String(), []string{story, "13812345678", "闪电贷"})
	if strings.Contains(logs.String(), `"user":"web:`) {
		t.Error("a raw web user id reached the log")
	}
}

// Telegram and the web side by side in one process on one Redis: each
// person has their own session under their transport's id ("web:..." and
// the chat id), in the per-person key layout; the terminal chat stays shut.
func TestTelegramAndWebSideBySide(t *testing.T) {
	const token = "555:SIDE-by-side"
	const chat = 7345120
	fake := fakebot.New(t, token)
	srv := redistest.Open(t)
	addr := freeAddr(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"WEB_ADDR": addr, "REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir(), "TELEGRAM_CHAT_RATE": "0"}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, strings.NewReader("/help\n"), &out, &logs, func(k string) string { return env[k] })
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + addr
	waitHTTP(t, base)

	fake.PushText(chat, "/start")
	if got := fake.WaitSent(t, chat, 1)[0].Text; !strings.Contains(got, "你好，这里是“安宁”") {
		t.Fatalf("telegram greeting: %q", got)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "你好，这里是“安宁”") {
		t.Fatalf("web page: %d", resp.StatusCode)
	}
	rc := srv.Client(t)
	keys, err := rc.Keys(context.Background(), srv.Prefix+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var web, tg bool
	for _, k := range keys {
		web = web || strings.HasPrefix(k, srv.Prefix+":{u:web:")
		tg = tg || strings.HasPrefix(k, fmt.Sprintf("%s:{u:%d}", srv.Prefix, chat))
	}
	if !web || !tg {
		t.Fatalf("keys %v: want a web person's and the Telegram chat's", keys)
	}
	if strings.Contains(out.String(), "终端对话") {
		t.Fatal("the terminal chat opened beside Telegram and the web")
	}
}
