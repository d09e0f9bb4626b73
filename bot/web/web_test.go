package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/bot/flow"
	store "github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

// clock is the injected time of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is the web server over a real runner (shipped flows, in-memory
// sessions) and a real evidence service (files in a temp folder, no OCR).
type harness struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	store domain.Store
	ev    *evidence.Service
	clock *clock
	spool string
}

func newHarness(t *testing.T, tlsOn bool, edit func(*Config)) *harness {
	t.Helper()
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := LoadTexts(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	h := &harness{t: t, clock: c, spool: t.TempDir()}
	cfg := Config{Texts: texts, Now: c.now, SpoolDir: h.spool, SessionTTL: time.Hour,
		AddrRate: 1000, AddrBurst: 1000, SessionRate: 1000, SessionBurst: 1000}
	if edit != nil {
		edit(&cfg)
	}
	h.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := evidence.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rules, err := facts.LoadRules(content.FS, "evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h.ev = evidence.NewService(blobs, store.NewMemory(time.Hour, nil), nil, rules)
	h.ev.Fetch, h.ev.Notify = h.srv, h.srv
	if cfg.MaxFile != 0 {
		h.ev.Limits.MaxFile = cfg.MaxFile
	}
	h.store = store.NewMemory(time.Hour, nil)
	runner := chat.NewRunner(flow.NewEngine(set, c.now), h.store, chat.Options{
		Actions: map[string]chat.ActionFunc{domain.DoEvidenceAdd: h.ev.Add, domain.DoEvidence: h.ev.Command},
		Erasers: []chat.Eraser{h.ev, h.srv},
	})
	h.srv.Bind(runner)
	if tlsOn {
		h.ts = httptest.NewTLSServer(h.srv.Handler())
	} else {
		h.ts = httptest.NewServer(h.srv.Handler())
	}
	t.Cleanup(h.ts.Close)
	return h
}

// browser is one client with its own cookies; it does not follow
// redirects, so tests see them.
type browser struct {
	h    *harness
	c    *http.Client
	csrf string
	page string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: h.ts.Client().Transport, Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{h: h, c: c}
}

var (
	csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	refRe  = regexp.MustCompile(`name="ref" value="([^"]+)"`)
)

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.h.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// open loads the page and remembers its token.
func (b *browser) open() *http.Response {
	b.h.t.Helper()
	req, _ := http.NewRequest("GET", b.h.ts.URL+"/", nil)
	resp, body := b.do(req)
	b.page = body
	if m := csrfRe.FindStringSubmatch(body); m != nil {
		b.csrf = m[1]
	}
	return resp
}

func (b *browser) post(path string, form url.Values, js bool) (*http.Response, string) {
	b.h.t.Helper()
	req, _ := http.NewRequest("POST", b.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if js {
		req.Header.Set("X-Requested-With", "XMLHttpRequest")
	}
	return b.do(req)
}

func (b *browser) send(text string) (*http.Response, string) {
	return b.post("/send", url.Values{"csrf": {b.csrf}, "text": {text}}, false)
}

func (b *browser) upload(names []string, data [][]byte, js bool) (*http.Response, string) {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf)
	for i, name := range names {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(data[i])
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.h.ts.URL+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if js {
		req.Header.Set("X-Requested-With", "XMLHttpRequest")
	}
	return b.do(req)
}

func cookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	return nil
}

func TestSecurityHeadersAndCookieFlags(t *testing.T) {
	h := newHarness(t, false, nil)
	resp := h.browser().open()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	c := cookieOf(resp)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || len(c.Value) != 43 || c.MaxAge != 3600 {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, 43 chars, Max-Age the session TTL", c)
	}
	if !strings.Contains(resp.Header.Get("Set-Cookie"), "HttpOnly; SameSite=Strict") {
		t.Errorf("Set-Cookie %q", resp.Header.Get("Set-Cookie"))
	}

	// Behind TLS: Secure.
	h2 := newHarness(t, true, nil)
	if c := cookieOf(h2.browser().open()); c == nil || !c.Secure {
		t.Fatalf("over TLS the cookie must be Secure: %+v", c)
	}

	// Behind a trusted proxy that says https: Secure; an untrusted peer
	// saying so is not believed.
	for _, tc := range []struct {
		trusted string
		secure  bool
	}{{"127.0.0.1/32", true}, {"10.0.0.0/8", false}} {
		h3 := newHarness(t, false, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tc.trusted)} })
		req, _ := http.NewRequest("GET", h3.ts.URL+"/", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, _ := h3.browser().do(req)
		if c := cookieOf(resp); c == nil || c.Secure != tc.secure {
			t.Errorf("proxy %s: cookie %+v, want Secure=%v", tc.trusted, c, tc.secure)
		}
	}
}

func TestPostsWithoutTheSessionsTokenAreRejected(t *testing.T) {
	h := newHarness(t, false, nil)
	a, other := h.browser(), h.browser()
	a.open()
	other.open()
	before := len(a.h.srv.sessions.get(cookieValue(t, a)).msgs)
	for _, tc := range []struct {
		name  string
		token string
	}{{"none", ""}, {"wrong", "x" + a.csrf[1:]}, {"another session's", other.csrf}} {
		for _, path := range []string{"/send", "/press", "/delete"} {
			resp, body := a.post(path, url.Values{"csrf": {tc.token}, "text": {"你好"}, "ref": {"1"}, "i": {"0"}}, false)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "页面已过期") {
				t.Errorf("%s token on %s: status %d", tc.name, path, resp.StatusCode)
			}
		}
		a.csrf, a.page = tc.token, ""
		resp, _ := a.upload([]string{"a.png"}, [][]byte{[]byte("\x89PNG\r\n\x1a\nxxxxxxxx")}, false)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s token on /upload: status %d", tc.name, resp.StatusCode)
		}
	}
	if after := len(a.h.srv.sessions.get(cookieValue(t, a)).msgs); after != before {
		t.Fatalf("a rejected post changed the conversation: %d -> %d messages", before, after)
	}
	// Without a cookie at all.
	resp, _ := h.browser().post("/send", url.Values{"csrf": {a.csrf}, "text": {"x"}}, true)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no cookie: status %d", resp.StatusCode)
	}
}

func cookieValue(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.h.ts.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == cookieName {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// Without JavaScript: plain form posts, each answered by a redirect to the
// page, which shows the conversation.
func TestNoScriptFormFlow(t *testing.T) {
	h := newHarness(t, false, nil)
	b := h.browser()
	b.open()
	if !strings.Contains(b.page, "你好，这里是“安宁”") || !strings.Contains(b.page, "我的通讯录被爆了，怎么办") {
		t.Fatalf("no greeting with the menu:\n%s", b.page)
	}
	for _, want := range []string{`type="file" multiple accept="image/*,audio/*,application/pdf"`, `accept="image/*" capture="environment"`,
		`<html lang="zh-CN">`, `name="viewport" content="width=device-width, initial-scale=1"`} {
		if !strings.Contains(b.page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// An upload without the script: a plain multipart post, then the page.
	resp, _ := b.upload([]string{"shot.jpg"}, [][]byte{fixture(t, "sms1_tg.jpg")}, false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plain upload: %d", resp.StatusCode)
	}
	b.open()
	if !strings.Contains(b.page, "保存为第 1 份证据") {
		t.Fatalf("the plain upload was not kept:\n%s", b.page)
	}
	resp, _ = b.send("催收给我妈妈打电话了")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/#end" {
		t.Fatalf("send: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.open()
	if !strings.Contains(b.page, `<p>催收给我妈妈打电话了</p>`) {
		t.Fatalf("the typed text is not shown as the person's bubble:\n%s", b.page)
	}
	// Press the first choice of the question now asked.
	refs := refRe.FindAllStringSubmatch(b.page, -1)
	if len(refs) == 0 {
		t.Fatalf("no question with choices after the story:\n%s", b.page)
	}
	ref := refs[len(refs)-1][1]
	resp, _ = b.post("/press", url.Values{"csrf": {b.csrf}, "ref": {ref}, "i": {"0"}}, false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("press: %d", resp.StatusCode)
	}
	n := strings.Count(b.page, `class="m `)
	b.open()
	if strings.Count(b.page, `class="m `) <= n+1 {
		t.Fatalf("pressing a choice showed no reply:\n%s", b.page)
	}
	// The privacy notice is one tap away.
	b.send("/privacy")
	b.open()
	if !strings.Contains(b.page, "你的数据这样处理") {
		t.Fatalf("/privacy did not show the privacy notice:\n%s", b.page)
	}
	// Erase: a confirmation page, then everything goes and the cookie is cleared.
	req, _ := http.NewRequest("GET", h.ts.URL+"/delete", nil)
	resp, body := b.do(req)
	if resp.StatusCode != 200 || !strings.Contains(body, "确认删除") {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	user := userOf(cookieValue(t, b))
	if e, _ := h.store.Get(context.Background(), user); e.Rev == 0 {
		t.Fatal("no session stored before erasure")
	}
	resp, body = b.post("/delete", url.Values{"csrf": {b.csrf}}, false)
	if resp.StatusCode != 200 || !strings.Contains(body, "共删除") || !strings.Contains(body, "重新开始") {
		t.Fatalf("erase: %d\n%s", resp.StatusCode, body)
	}
	if c := cookieOf(resp); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("cookie not cleared: %+v", c)
	}
	if e, _ := h.store.Get(context.Background(), user); e.Rev != 0 {
		t.Fatal("the runner's session is still stored")
	}
	if h.srv.sessions.byUserID(user) != nil {
		t.Fatal("the page's session is still held")
	}
}

// The script's posts get JSON: the new messages, rendered, and the count.
func TestScriptPostsGetTheNewMessages(t *testing.T) {
	h := newHarness(t, false, nil)
	b := h.browser()
	b.open()
	resp, body := b.post("/send", url.Values{"csrf": {b.csrf}, "text": {"/help"}, "n": {"3"}}, true)
	var u update
	if err := json.Unmarshal([]byte(body), &u); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v: %s", resp.StatusCode, err, body)
	}
	if u.From != 3 || u.N <= 4 || !strings.Contains(u.HTML, `data-i="3"`) || strings.Contains(u.HTML, `data-i="2"`) || !strings.Contains(u.HTML, "可用的命令") {
		t.Fatalf("update %+v", u)
	}
	// Erasing by the chat's own confirmation button clears the cookie too.
	_, body = b.post("/send", url.Values{"csrf": {b.csrf}, "text": {"/delete"}, "n": {fmt.Sprint(u.N)}}, true)
	json.Unmarshal([]byte(body), &u)
	ref := refRe.FindAllStringSubmatch(u.HTML, -1)
	if len(ref) == 0 {
		t.Fatalf("no confirmation question: %+v", u)
	}
	resp, body = b.post("/press", url.Values{"csrf": {b.csrf}, "ref": {ref[len(ref)-1][1]}, "i": {"0"}}, true)
	json.Unmarshal([]byte(body), &u)
	if !u.Erased || !strings.Contains(u.HTML, "共删除") {
		t.Fatalf("after confirming: %+v", u)
	}
	if c := cookieOf(resp); c == nil || c.MaxAge >= 0 {
		t.Fatalf("cookie not cleared: %+v", c)
	}
}

func TestRateLimitsAndTheSessionCap(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.SessionRate, c.SessionBurst = 1, 3 })
	b := h.browser()
	b.open()
	codes := []int{}
	for range 5 {
		resp, _ := b.post("/send", url.Values{"csrf": {b.csrf}, "text": {"/help"}}, true)
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Fatalf("posts of one session: %v, want 3 then refused", codes)
	}
	h.clock.add(time.Second)
	if resp, _ := b.post("/send", url.Values{"csrf": {b.csrf}, "text": {"/help"}}, true); resp.StatusCode != 200 {
		t.Fatalf("a second later: %d", resp.StatusCode)
	}

	// Per address: every request counts.
	h = newHarness(t, false, func(c *Config) { c.AddrRate, c.AddrBurst = 1, 4 })
	b = h.browser()
	codes = nil
	for range 6 {
		codes = append(codes, b.open().StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 200 429 429]" {
		t.Fatalf("requests of one address: %v", codes)
	}

	// New sessions per address per hour: a crawler without cookies.
	h = newHarness(t, false, func(c *Config) { c.NewSessionsPerHour = 3 })
	codes = nil
	for range 5 {
		codes = append(codes, h.browser().open().StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Fatalf("new sessions: %v", codes)
	}
	resp := h.browser().open()
	if cookieOf(resp) != nil {
		t.Fatal("a refused visitor got a session cookie")
	}
	if got := len(h.srv.sessions.byID); got != 3 {
		t.Fatalf("%d sessions held, want 3", got)
	}
	// Made-up cookies count as new sessions too.
	req, _ := http.NewRequest("GET", h.ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: newID()})
	if resp, _ := h.browser().do(req); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a made-up cookie past the cap: %d", resp.StatusCode)
	}
	h.clock.add(time.Hour)
	if code := h.browser().open().StatusCode; code != 200 {
		t.Fatalf("an hour later: %d", code)
	}
}

// The first load (page, CSS, JS) stays within 100 KB.
func TestFirstLoadIsSmall(t *testing.T) {
	h := newHarness(t, false, nil)
	b := h.browser()
	b.open()
	total := len(b.page)
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(b.page, -1) {
		req, _ := http.NewRequest("GET", h.ts.URL+m[1], nil)
		resp, body := b.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", m[1], resp.StatusCode)
		}
		total += len(body)
	}
	if strings.Contains(b.page, "http://") || strings.Contains(b.page, "https://") || strings.Contains(b.page, "//cdn") {
		t.Error("the page refers to another site")
	}
	t.Logf("first load: %d bytes", total)
	if total > 100<<10 || total < 5<<10 {
		t.Fatalf("first load %d bytes, want at most 100 KB", total)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Uploads go through the evidence service as Telegram files do: its type
// sniffing and size limit; the spooled copies are removed afterwards.
func TestUploadsUseTheEvidenceIntake(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.MaxFile = 100 << 10 })
	b := h.browser()
	b.open()
	resp, body := b.upload([]string{"催收.jpg"}, [][]byte{fixture(t, "sms1_tg.jpg")}, true)
	var u update
	json.Unmarshal([]byte(body), &u)
	if resp.StatusCode != 200 || !strings.Contains(u.HTML, "保存为第 1 份证据") || !strings.Contains(u.HTML, "发送了 1 个文件：催收.jpg") {
		t.Fatalf("%d %+v", resp.StatusCode, u)
	}
	_, body = b.upload([]string{"notes.png"}, [][]byte{[]byte("just text pretending to be a PNG")}, true)
	json.Unmarshal([]byte(body), &u)
	if !strings.Contains(u.HTML, "这个文件类型暂不支持") {
		t.Fatalf("a text file named .png was not refused by its bytes: %+v", u)
	}
	_, body = b.upload([]string{"big.png"}, [][]byte{fixture(t, "sms1.png")}, true) // 223 KB > 100 KB
	json.Unmarshal([]byte(body), &u)
	if !strings.Contains(u.HTML, "没有保存") || !strings.Contains(u.HTML, "超过") {
		t.Fatalf("a file over the limit was not refused: %+v", u)
	}
	// Several files at once: one album, acknowledged once, late (Notify),
	// which the event stream carries.
	evs := b.events(u.N)
	_, body = b.upload([]string{"a.jpg", "b.png"}, [][]byte{fixture(t, "sms1_tg.jpg"), append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)}, true)
	json.Unmarshal([]byte(body), &u)
	if !strings.Contains(u.HTML, "发送了 2 个文件") {
		t.Fatalf("album: %+v", u)
	}
	got := evs.until(t, "份")
	if !strings.Contains(got, "第 2 份") && !strings.Contains(got, "保存") {
		t.Fatalf("album acknowledgement: %s", got)
	}
	if left, _ := os.ReadDir(h.spool); len(left) != 0 {
		t.Fatalf("%d spooled uploads left behind", len(left))
	}
	// The evidence export is a download, for this session only.
	_, body = b.post("/send", url.Values{"csrf": {b.csrf}, "text": {"/evidence 导出"}}, true)
	json.Unmarshal([]byte(body), &u)
	link := regexp.MustCompile(`href="(/file/[^"]+)"`).FindStringSubmatch(u.HTML)
	if link == nil {
		t.Fatalf("no download link: %+v", u)
	}
	req, _ := http.NewRequest("GET", h.ts.URL+link[1], nil)
	resp, zip := b.do(req)
	if resp.StatusCode != 200 || !strings.HasPrefix(zip, "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	other := h.browser()
	other.open()
	req, _ = http.NewRequest("GET", h.ts.URL+link[1], nil)
	if resp, _ := other.do(req); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another session downloaded the file: %d", resp.StatusCode)
	}
}

// stream reads server-sent events in the background.
type stream struct {
	mu   sync.Mutex
	data strings.Builder
	got  chan struct{}
}

func (b *browser) events(n int) *stream {
	b.h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.h.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/events?n=%d", b.h.ts.URL, n), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Accel-Buffering") != "no" {
		b.h.t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	s := &stream{got: make(chan struct{}, 100)}
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 4096)
		for {
			k, err := resp.Body.Read(buf)
			s.mu.Lock()
			s.data.Write(buf[:k])
			s.mu.Unlock()
			s.got <- struct{}{}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// until waits for an event whose data contains want.
func (s *stream) until(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		text := s.data.String()
		s.mu.Unlock()
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "data: ") && strings.Contains(line, want) {
				return line
			}
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("no event with %q; got:\n%s", want, text)
		}
	}
}

// Late replies (an OCR summary) reach the page by its event stream, and by
// polling.
func TestLateRepliesReachThePage(t *testing.T) {
	h := newHarness(t, false, nil)
	b := h.browser()
	b.open()
	user := userOf(cookieValue(t, b))
	evs := b.events(3)
	if err := h.srv.Notify(context.Background(), user, []domain.Reply{{Kind: domain.ReplyNotice, Text: "识别完成：电话 13812345678"}}); err != nil {
		t.Fatal(err)
	}
	line := evs.until(t, "13812345678")
	if !strings.Contains(line, `"n":4`) {
		t.Fatalf("event %s", line)
	}
	req, _ := http.NewRequest("GET", h.ts.URL+"/log?n=3", nil)
	_, body := b.do(req)
	if !strings.Contains(body, "13812345678") {
		t.Fatalf("poll: %s", body)
	}
	if err := h.srv.Notify(context.Background(), "web:unknown", nil); err == nil {
		t.Fatal("a notification for nobody here was taken")
	}
}

func TestBigPostsAreRefused(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.MaxFile, c.MaxFiles = 1<<10, 2 })
	b := h.browser()
	b.open()
	resp, _ := b.post("/send", url.Values{"csrf": {b.csrf}, "text": {strings.Repeat("很", 20_000)}}, true)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 60 KB text post: %d", resp.StatusCode)
	}
	_, body := b.post("/send", url.Values{"csrf": {b.csrf}, "text": {strings.Repeat("很", 4001)}}, true)
	if !strings.Contains(body, "太长") {
		t.Fatalf("4001 characters: %s", body)
	}
	big := make([]byte, 4<<10)
	_, body = b.upload([]string{"1", "2", "3"}, [][]byte{big, big, big}, true)
	if !strings.Contains(body, "一次上传的文件太大") {
		t.Fatalf("an upload over the request limit: %s", body)
	}
	if left, _ := os.ReadDir(h.spool); len(left) != 0 {
		t.Fatalf("%d spooled uploads left behind", len(left))
	}
}

func TestTextsAreAllThere(t *testing.T) {
	if _, err := LoadTexts(content.FS); err != nil {
		t.Fatal(err)
	}
	bad := os.DirFS(t.TempDir())
	if _, err := LoadTexts(bad); err == nil || !strings.Contains(err.Error(), "web.yaml: cannot read") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestClientAddress(t *testing.T) {
	p := proxies{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct{ peer, xff, want string }{
		{"127.0.0.1:5000", "1.2.3.4, 10.0.0.7", "1.2.3.4"},         // through two trusted proxies
		{"127.0.0.1:5000", "6.6.6.6, 1.2.3.4", "1.2.3.4"},          // what the client wrote itself is not believed
		{"8.8.8.8:5000", "1.2.3.4", "8.8.8.8"},                     // an untrusted peer's header is ignored
		{"[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::"},       // IPv6: its /64
		{"127.0.0.1:5000", "2001:db8:1:2:aa::1", "2001:db8:1:2::"}, // forwarded IPv6
		{"127.0.0.1:5000", "garbage", "127.0.0.1"},                 // unreadable: the proxy itself
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := p.client(r).String(); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
