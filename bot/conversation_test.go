package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/web"
	"github.com/anning-bot/anning/content"
)

// A step of the person's side of the conversation: a typed text, or a
// press of a choice of the question last asked.
type convStep struct {
	text string // typed; "" for a press
	pick string // press the first choice containing pick ("" = the first choice)
}

// The script played on every transport: start, the first topic, a story
// in the person's own words, a word of despair, the law on one topic, and
// erasure confirmed.
var convScript = []convStep{
	{text: "/start"}, // the web's page greets on opening it: that is its /start
	{pick: ""},
	{text: "他们打电话给我妈妈，说我欠了闪电贷的钱"},
	{text: "压力太大了，我真的撑不下去了"}, // despair: the crisis notice comes first
	{text: "/law"},
	{pick: "隐私和私人生活安宁"},
	{text: "/delete"},
	{pick: "删除"},
}

// crisisStep is the step of the word of despair.
const crisisStep = 3

// convSeen is what the person sees from the bot after one step, with the
// transport's framing removed: the lines of text, and the choices of the
// question asked (buttons on Telegram and the web, numbered lines on the
// console).
type convSeen struct {
	Lines   []string
	Choices []string
}

// convLabel is the marker the console and the web put before a citation, a
// channel or a crisis notice. Telegram shows none: it sets a citation's or
// a channel's first line in bold, and a crisis notice as plain text (first
// in its message).
var convLabel = regexp.MustCompile(`^【(法条|渠道|重要)】`)

// convLines splits text into its non-empty lines, trimmed, markers removed.
func convLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(convLabel.ReplaceAllString(strings.TrimSpace(l), ""))
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

var convTag = regexp.MustCompile(`<[^>]*>`)

// convFromHTML is the text of Telegram's or the page's HTML.
func convFromHTML(s string) string { return html.UnescapeString(convTag.ReplaceAllString(s, "")) }

// pickIndex is the index of the choice a step presses.
func pickIndex(t *testing.T, choices []string, s convStep) int {
	t.Helper()
	for i, c := range choices {
		if strings.Contains(c, s.pick) {
			return i
		}
	}
	t.Fatalf("no choice with %q among %q", s.pick, choices)
	return -1
}

// The console, Telegram and the web run the same conversation: the same
// script, played through each transport of the real process (run, as
// `go run ./bot` starts it, on Redis), shows the same texts and choices at
// every step, once each transport's framing is removed (HTML, markers,
// numbering, the person's own bubbles and the page's note after erasure);
// and the texts are the right ones (greeting, topic, story understood,
// crisis notice first, law, erasure).
func TestSameConversationOnEveryTransport(t *testing.T) {
	transports := []struct {
		name string
		play func(t *testing.T, asked []convSeen) []convSeen
	}{
		{"telegram", func(t *testing.T, _ []convSeen) []convSeen { return playTelegram(t) }},
		{"web", func(t *testing.T, _ []convSeen) []convSeen { return playWeb(t) }},
		{"console", playConsole},
	}
	got := map[string][]convSeen{}
	for _, tr := range transports {
		if !t.Run(tr.name, func(t *testing.T) {
			got[tr.name] = tr.play(t, got["telegram"])
			if len(got[tr.name]) != len(convScript) {
				t.Fatalf("%d turns seen, want %d", len(got[tr.name]), len(convScript))
			}
		}) {
			t.FailNow()
		}
	}

	// The key sentences, in order, each at its step (from flows/*.yaml and
	// the runner's erasure message).
	keys := [][]string{
		{"你好，这里是“安宁”", "你想先了解哪一项"},
		{"先别慌"},
		{"明白，催收在联系你通讯录里的人", "先别慌"},
		{"听到你这么说，我很担心你", "全国心理援助热线：12356"},
		{"想看哪方面的法律规定"},
		{"《中华人民共和国民法典》第一千零三十二条"},
		{"确定要删除你在这里的全部数据吗"},
		{"你的数据已经删除", "共删除 1 项数据"},
	}
	if len(keys) != len(convScript) {
		t.Fatalf("%d steps with key sentences, %d in the script", len(keys), len(convScript))
	}
	for name, turns := range got {
		for i, want := range keys {
			text := strings.Join(turns[i].Lines, "\n")
			at := 0
			for _, k := range want {
				j := strings.Index(text[at:], k)
				if j < 0 {
					t.Errorf("%s, step %d (%q): %q missing or out of order in:\n%s", name, i+1, stepName(i), k, text)
					break
				}
				at += j + len(k)
			}
		}
	}
	for name, turns := range got {
		if l := turns[crisisStep].Lines; len(l) == 0 || !strings.HasPrefix(l[0], "听到你这么说") {
			t.Errorf("%s: the crisis notice is not the first thing shown after despair: %q", name, l)
		}
	}
	ref := got["console"]
	for _, name := range []string{"telegram", "web"} {
		for i := range convScript {
			if a, b := ref[i], got[name][i]; !slices.Equal(a.Lines, b.Lines) || !slices.Equal(a.Choices, b.Choices) {
				t.Errorf("step %d (%q): %s differs from the console:\nconsole: %q %q\n%s: %q %q",
					i+1, stepName(i), name, a.Lines, a.Choices, name, b.Lines, b.Choices)
			}
		}
	}
	if testing.Verbose() {
		for i := range convScript {
			t.Logf("step %d (%s): %q %q", i+1, stepName(i), ref[i].Lines, ref[i].Choices)
		}
	}
}

// convRedis is the real redis-server (ANNING_TEST_REDIS_URL), which CI
// must provide; elsewhere an in-process one stands in when it is not set.
func convRedis(t *testing.T) *redistest.Server {
	t.Helper()
	if os.Getenv("CI") != "" {
		return redistest.Real(t)
	}
	return redistest.Open(t)
}

func stepName(i int) string {
	if s := convScript[i]; s.text != "" {
		return s.text
	}
	return "press " + strconv.Quote(convScript[i].pick)
}

var (
	consoleEcho   = regexp.MustCompile(`^> `)
	consoleChoice = regexp.MustCompile(`^  (\d+)\. (.*)$`)
)

// playConsole pipes the script into the terminal chat; a press is the
// choice's number typed. The console reads its input ahead, so the
// numbers come from the choices another transport showed (asked), and are
// then checked against the console's own.
func playConsole(t *testing.T, asked []convSeen) []convSeen {
	var input strings.Builder
	typed := map[int]int{} // step: the choice's index
	for i, s := range convScript {
		line := s.text
		if line == "" {
			typed[i] = pickIndex(t, asked[i-1].Choices, s)
			line = strconv.Itoa(typed[i] + 1)
		}
		input.WriteString(line + "\n")
	}
	turns := consoleTurns(t, runConsole(t, input.String()))
	for i, idx := range typed {
		if len(turns) < i {
			t.Fatalf("the console showed %d turns, none before step %d", len(turns), i+1)
		}
		if own := pickIndex(t, turns[i-1].Choices, convScript[i]); own != idx {
			t.Fatalf("step %d: %d typed, but the console numbered that choice %d: %q", i+1, idx+1, own+1, turns[i-1].Choices)
		}
	}
	return turns
}

// runConsole runs the terminal chat over input on a fresh session.
func runConsole(t *testing.T, input string) string {
	t.Helper()
	srv := convRedis(t)
	code, out, errOut := runBot(t, input, map[string]string{"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix})
	if code != 0 {
		t.Fatalf("console exit %d: %s", code, errOut)
	}
	return out
}

// consoleTurns splits the console's output at its echoes of the input.
func consoleTurns(t *testing.T, out string) []convSeen {
	t.Helper()
	var turns []convSeen
	var text []string
	var cur *convSeen
	flush := func() {
		if cur != nil {
			cur.Lines = convLines(strings.Join(text, "\n"))
			turns = append(turns, *cur)
		}
		text = nil
	}
	for _, l := range strings.Split(out, "\n") {
		if consoleEcho.MatchString(l) {
			flush()
			cur = &convSeen{}
			continue
		}
		if cur == nil {
			continue // the banner
		}
		if m := consoleChoice.FindStringSubmatch(l); m != nil {
			if m[1] != strconv.Itoa(len(cur.Choices)+1) {
				t.Fatalf("console choice numbered %s, want %d: %q", m[1], len(cur.Choices)+1, l)
			}
			cur.Choices = append(cur.Choices, m[2])
			continue
		}
		text = append(text, l)
	}
	flush()
	return turns
}

// playTelegram plays the script through the fake Bot API; a press is the
// button's callback.
func playTelegram(t *testing.T) []convSeen {
	const token = "901:SAME-conversation"
	const chat = 6203117
	fake := fakebot.New(t, token)
	srv := convRedis(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": fake.APIEndpoint(), "TELEGRAM_FILE_ENDPOINT": fake.FileEndpoint(),
		"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir(), "TELEGRAM_CHAT_RATE": "0",
	}
	_, stop := runInProcess(t, env)
	defer stop()
	var turns []convSeen
	var asked *fakebot.Sent // the last message with buttons
	attributed := 0
	for i, s := range convScript {
		before := len(fake.Sent(chat))
		if s.text != "" {
			fake.PushText(chat, s.text)
		} else {
			if asked == nil {
				t.Fatalf("step %d presses with no buttons before it", i+1)
			}
			var buttons []fakebot.Button
			for _, row := range asked.Keyboard {
				buttons = append(buttons, row...)
			}
			b := buttons[pickIndex(t, turns[i-1].Choices, s)]
			fake.PushCallback(chat, asked.MessageID, b.CallbackData)
		}
		// Every step here is answered in one message (well under 4096 characters).
		sent := fake.WaitSent(t, chat, before+1)[before:]
		var turn convSeen
		var text []string
		for _, m := range sent {
			text = append(text, convFromHTML(m.Text))
			if m.Keyboard != nil {
				turn.Choices = nil
				for _, row := range m.Keyboard {
					for _, b := range row {
						turn.Choices = append(turn.Choices, b.Text)
					}
				}
				asked = &m
			}
		}
		turn.Lines = convLines(strings.Join(text, "\n"))
		turns = append(turns, turn)
		attributed += len(sent)
	}
	if all := fake.Sent(chat); len(all) != attributed {
		t.Fatalf("%d messages sent, %d of them seen at their step: a step answered late", len(all), attributed)
	}
	return turns
}

var (
	webBubble = regexp.MustCompile(`(?s)<div class="m (me|bot k\d+)" data-i="\d+"><p>(.*?)</p>(.*?)</div>`)
	webButton = regexp.MustCompile(`<button name="i" value="(\d+)">(.*?)</button>`)
	webRef    = regexp.MustCompile(`name="ref" value="([^"]+)"`)
	webCSRF   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// playWeb plays the script through the web chat as its page's script
// does (posts answered with the new messages as JSON); the page greets on
// opening it, which stands for /start; a press is the button's post.
func playWeb(t *testing.T) []convSeen {
	srv := convRedis(t)
	addr := freeAddr(t)
	env := map[string]string{"WEB_ADDR": addr, "REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix, "EVIDENCE_DIR": t.TempDir()}
	_, stop := runInProcess(t, env)
	defer stop()
	base := "http://" + addr
	waitHTTP(t, base)
	texts, err := web.LoadTexts(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	read := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body)
		}
		return string(body)
	}
	// bubbles are the bot's messages in rendered HTML; ref is the last
	// question's, and n counts every bubble.
	var csrf, ref string
	n := 0
	bubbles := func(h string) convSeen {
		var turn convSeen
		var text []string
		for _, m := range webBubble.FindAllStringSubmatch(h, -1) {
			n++
			if m[1] == "me" {
				continue
			}
			text = append(text, convFromHTML(m[2]))
			if bs := webButton.FindAllStringSubmatch(m[3], -1); bs != nil {
				turn.Choices = nil
				for j, b := range bs {
					if b[1] != strconv.Itoa(j) {
						t.Fatalf("button %d posts choice %s", j, b[1])
					}
					turn.Choices = append(turn.Choices, convFromHTML(b[2]))
				}
				ref = webRef.FindStringSubmatch(m[3])[1]
			}
		}
		turn.Lines = convLines(strings.Join(text, "\n"))
		return turn
	}
	var turns []convSeen
	for i, s := range convScript {
		if i == 0 {
			page := read(client.Get(base + "/"))
			m := webCSRF.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no token on the page:\n%s", page)
			}
			csrf = m[1]
			turns = append(turns, bubbles(page))
			continue
		}
		path, form := "/send", url.Values{"csrf": {csrf}, "text": {s.text}, "n": {strconv.Itoa(n)}}
		if s.text == "" {
			path, form = "/press", url.Values{"csrf": {csrf}, "ref": {ref}, "i": {strconv.Itoa(pickIndex(t, turns[i-1].Choices, s))}, "n": {strconv.Itoa(n)}}
		}
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Requested-With", "XMLHttpRequest")
		var u struct {
			From   int    `json:"from"`
			N      int    `json:"n"`
			HTML   string `json:"html"`
			Erased bool   `json:"erased"`
			Error  string `json:"error"`
		}
		if err := json.Unmarshal([]byte(read(client.Do(req))), &u); err != nil {
			t.Fatal(err)
		}
		if u.Error != "" {
			t.Fatalf("step %d: the page says %q", i+1, u.Error)
		}
		if !u.Erased && u.From != n {
			t.Fatalf("step %d: messages from %d sent, want from %d", i+1, u.From, n)
		}
		turn := bubbles(u.HTML)
		if u.Erased {
			// The page adds that the browser's record went too: the web's
			// own framing of the erasure.
			if len(turn.Lines) == 0 || turn.Lines[len(turn.Lines)-1] != texts.Erased {
				t.Fatalf("erased, without the page's notice %q: %q", texts.Erased, turn.Lines)
			}
			turn.Lines = turn.Lines[:len(turn.Lines)-1]
		} else {
			n = u.N
		}
		turns = append(turns, turn)
	}
	return turns
}
