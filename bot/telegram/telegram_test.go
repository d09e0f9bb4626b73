package telegram_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/time/rate"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/fakebot"
	"github.com/anning-bot/anning/bot/internal/redistest"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/bot/telegram"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

const token = "123456:TEST-token"

// harness is a bot on the fake Bot API, with its sessions in Redis (the real
// redis-server in CI, miniredis otherwise).
type harness struct {
	t      *testing.T
	fake   *fakebot.Server
	store  domain.Store
	runner *chat.Runner
	bot    *telegram.Bot
	cancel context.CancelFunc
	done   chan error
}

func shipped(t testing.TB) *flow.Set {
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func newHarness(t *testing.T, set *flow.Set, edit func(*telegram.Config)) *harness {
	t.Helper()
	srv := redistest.Open(t)
	store := session.NewRedis(srv.Client(t), srv.Prefix, time.Hour)
	h := &harness{t: t, fake: fakebot.New(t, token), store: store}
	h.runner = chat.NewRunner(flow.NewEngine(set, time.Now), store, chat.Options{})
	h.start(edit)
	return h
}

func (h *harness) config(edit func(*telegram.Config)) telegram.Config {
	cfg := telegram.Config{
		Token: token, APIEndpoint: h.fake.APIEndpoint(), FileEndpoint: h.fake.FileEndpoint(),
		PollTimeout: time.Second, CallTimeout: 10 * time.Second, DrainTimeout: 5 * time.Second,
		RetryBackoff: 20 * time.Millisecond, ChatRate: rate.Inf, GlobalRate: rate.Inf,
	}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

func (h *harness) start(edit func(*telegram.Config)) {
	h.t.Helper()
	bot, err := telegram.New(h.config(edit), h.runner)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.bot, h.cancel, h.done = bot, cancel, make(chan error, 1)
	go func() { h.done <- bot.Run(ctx) }()
	select {
	case <-bot.Ready():
	case err := <-h.done:
		h.t.Fatalf("bot stopped at start: %v", err)
	case <-time.After(10 * time.Second):
		h.t.Fatal("bot not ready")
	}
	h.t.Cleanup(func() { h.stop() })
}

// stop shuts the bot down as SIGTERM would and returns Run's result.
func (h *harness) stop() error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(20 * time.Second):
		h.t.Fatal("bot did not stop")
		return nil
	}
}

func lastButtons(s []fakebot.Sent) []fakebot.Button {
	for i := len(s) - 1; i >= 0; i-- {
		if len(s[i].Keyboard) > 0 {
			var out []fakebot.Button
			for _, row := range s[i].Keyboard {
				out = append(out, row...)
			}
			return out
		}
	}
	return nil
}

func contains(t *testing.T, m fakebot.Sent, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(m.Text, w) {
			t.Errorf("message lacks %q:\n%s", w, m.Text)
		}
	}
}

func TestPollingConversationWithButtons(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.PushText(42, "/start")
	sent := h.fake.WaitSent(t, 42, 1)
	contains(t, sent[0], "你好，这里是“安宁”", "不是律师意见")
	if sent[0].ParseMode != "HTML" {
		t.Errorf("parse mode %q", sent[0].ParseMode)
	}
	buttons := lastButtons(sent)
	if len(buttons) != 9 || buttons[0].Text != "我的通讯录被爆了，怎么办" {
		t.Fatalf("buttons %+v", buttons)
	}
	h.fake.PushCallback(42, sent[0].MessageID, buttons[0].CallbackData)
	sent = h.fake.WaitSent(t, 42, 2)
	contains(t, sent[1], "先别慌")
	answers := h.fake.WaitCalls(t, "answerCallbackQuery", 1)
	if answers[0].Params.Get("text") != "" {
		t.Errorf("a fresh press was answered %q", answers[0].Params.Get("text"))
	}
	// A press costs the reply and the answer: the pressed buttons stay.
	time.Sleep(100 * time.Millisecond)
	if edits := h.fake.Calls("editMessageReplyMarkup"); len(edits) != 0 {
		t.Errorf("a press took buttons away: %d edits", len(edits))
	}

	// The old keyboard pressed again: answered 已过期, the current question
	// again, and the buttons of its earlier asking go.
	h.fake.PushCallback(42, sent[0].MessageID, buttons[1].CallbackData)
	sent = h.fake.WaitSent(t, 42, 3)
	contains(t, sent[2], "这个按钮已过期", "你可以分五步来做")
	if b := lastButtons(sent); len(b) == 0 || b[0].Text != "从第一步开始" {
		t.Errorf("the current question's buttons were not shown again: %+v", b)
	}
	answers = h.fake.WaitCalls(t, "answerCallbackQuery", 2)
	if answers[1].Params.Get("text") != "已过期" {
		t.Errorf("stale press answered %q", answers[1].Params.Get("text"))
	}
	edits := h.fake.WaitCalls(t, "editMessageReplyMarkup", 1)
	if edits[0].Params.Get("message_id") != fmt.Sprint(sent[1].MessageID) {
		t.Errorf("removed the keyboard of message %s, want %d (the question asked again)", edits[0].Params.Get("message_id"), sent[1].MessageID)
	}

	// Typing instead of pressing removes the open keyboard, in one edit.
	h.fake.PushText(42, "从第一步开始")
	sent = h.fake.WaitSent(t, 42, 4)
	contains(t, sent[3], "第一步：保存证据")
	edits = h.fake.WaitCalls(t, "editMessageReplyMarkup", 2)
	if edits[1].Params.Get("message_id") != fmt.Sprint(sent[2].MessageID) {
		t.Errorf("removed the keyboard of message %s, want %d (the question answered by typing)", edits[1].Params.Get("message_id"), sent[2].MessageID)
	}
	time.Sleep(100 * time.Millisecond)
	for _, e := range h.fake.Calls("editMessageReplyMarkup") {
		if e.Status != 200 {
			t.Errorf("edit of message %s refused: %d", e.Params.Get("message_id"), e.Status)
		}
		if e.Params.Get("message_id") == fmt.Sprint(sent[3].MessageID) {
			t.Error("the open question's buttons were removed")
		}
	}
	cmds := h.fake.Calls("setMyCommands")
	if len(cmds) != 1 || !strings.Contains(cmds[0].Params.Get("commands"), "撤回上一个回答") {
		t.Errorf("setMyCommands: %+v", cmds)
	}
	h.fake.WaitConfirmed(t, 4)
}

func TestDeepLinkOpensAFlow(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.PushText(7, "/start relatives")
	contains(t, h.fake.WaitSent(t, 7, 1)[0], "不是你的债")
}

func TestRepliesInOrderPerChatAndChatsInParallel(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.DelayAll("sendMessage", 50*time.Millisecond)
	for _, in := range []string{"/law", "1", "/menu", "/channels"} {
		h.fake.PushText(42, in)
	}
	for c := int64(100); c < 110; c++ {
		h.fake.PushText(c, "/help")
	}
	sent := h.fake.WaitSent(t, 42, 4)
	for i, want := range []string{"想看哪方面的法律规定", "第一千零三十二条", "你想先了解哪一项", "想看哪一类渠道"} {
		contains(t, sent[i], want)
	}
	for c := int64(100); c < 110; c++ {
		contains(t, h.fake.WaitSent(t, c, 1)[0], "/menu 回到主菜单")
	}
}

func TestLongRepliesAreSplit(t *testing.T) {
	long := strings.Repeat("很长的一段话。", 400) // 2800 characters a message
	set := customSet(t, fmt.Sprintf("    say:\n      - %s\n      - %s\n      - 短的结尾\n", long, long))
	h := newHarness(t, set, nil)
	h.fake.PushText(42, "/start")
	sent := h.fake.WaitSent(t, 42, 2)
	time.Sleep(100 * time.Millisecond)
	sent = h.fake.Sent(42)
	if len(sent) != 2 {
		t.Fatalf("%d messages, want 2", len(sent))
	}
	for i, m := range sent {
		if n := len([]rune(m.Text)); n > telegram.MaxMessageLen {
			t.Errorf("message %d has %d characters", i, n)
		}
	}
	if !strings.HasSuffix(sent[1].Text, "请选择") || len(sent[1].Keyboard) == 0 || len(sent[0].Keyboard) != 0 {
		t.Errorf("the keyboard belongs on the last part only")
	}
}

// customSet is the shipped content with a minimal flow set whose welcome
// says what the test needs.
func customSet(t *testing.T, welcomeSay string) *flow.Set {
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{
		"main.yaml":     {Data: []byte("flow: main\ntitle: x\nsteps:\n  welcome:\n" + welcomeSay + "    next: menu\n  menu:\n    say: 请选择\n    choices:\n      - label: 法条\n        flow: law\n      - label: 渠道\n        flow: channels\n")},
		"law.yaml":      {Data: []byte("flow: law\ntitle: x\nsteps:\n  a:\n    say: 法条\n    end: true\n")},
		"channels.yaml": {Data: []byte("flow: channels\ntitle: x\nsteps:\n  a:\n    say: 渠道\n    end: true\n")},
	}
	set, err := flow.Load(files, lib)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestFloodControlAndServerErrorsAreRetried(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.FailNext("sendMessage", 1, 429, 1)
	h.fake.PushText(42, "/help")
	sent := h.fake.WaitSent(t, 42, 1)
	contains(t, sent[0], "/menu 回到主菜单")
	calls := h.fake.Calls("sendMessage")
	if len(calls) != 2 || calls[1].At.Sub(calls[0].At) < 900*time.Millisecond {
		t.Errorf("429 with retry_after 1: %d calls, second after %v", len(calls), calls[len(calls)-1].At.Sub(calls[0].At))
	}

	h.fake.FailNext("sendMessage", 2, 502, 0)
	h.fake.BreakNext("sendMessage", 1)
	h.fake.PushText(43, "/help")
	contains(t, h.fake.WaitSent(t, 43, 1)[0], "/menu 回到主菜单")
	time.Sleep(200 * time.Millisecond)
	if n := len(h.fake.Sent(43)); n != 1 {
		t.Errorf("%d messages delivered after 5xx retries, want exactly 1", n)
	}
}

// In polling mode a chat stuck behind a long flood-control wait does not
// hold the others back: its replies are held (noted in the outbox beside the
// copy kept with the session) and its update confirmed, so updates fetched
// after it are fetched and handled meanwhile; the replies go out after the
// wait, once, and the note is dropped.
func TestPollingChatStuckInFloodWaitDoesNotBlockOthers(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.FailNext("sendMessage", 1, 429, 3)
	stuck := h.fake.PushText(41, "/help")
	h.fake.WaitCalls(t, "sendMessage", 1) // chat 41 now waits 3 s
	other := h.fake.PushText(42, "/help")
	contains(t, h.fake.WaitSent(t, 42, 1)[0], "/menu 回到主菜单")
	if n := len(h.fake.Sent(41)); n != 0 {
		t.Fatalf("chat 42 was answered only after chat 41's wait (%d messages to 41): head-of-line blocking", n)
	}
	h.fake.WaitConfirmed(t, stuck)
	outbox := h.store.(domain.Outbox)
	ctx := context.Background()
	if due, _ := outbox.Due(ctx, time.Now().Add(time.Hour), time.Minute, 10); !slices.Equal(due, []string{"41"}) {
		t.Errorf("held: %v, want chat 41", due)
	}
	outbox.Hold(ctx, "41", time.Now().Add(time.Hour)) // as it was before Due took it
	contains(t, h.fake.WaitSent(t, 41, 1)[0], "/menu 回到主菜单")
	h.fake.WaitConfirmed(t, other)
	time.Sleep(200 * time.Millisecond)
	if a, b := len(h.fake.Sent(41)), len(h.fake.Sent(42)); a != 1 || b != 1 {
		t.Errorf("answers: %d to chat 41, %d to chat 42; want one each (none handled twice)", a, b)
	}
	// The fake records a message before the bot has read its answer and
	// released the hold: wait for the release rather than a fixed time.
	if due := heldUntilEmpty(t, outbox); len(due) != 0 {
		t.Errorf("still held after delivery: %v", due)
	}
}

// heldUntilEmpty waits (up to 10 s) until no chat has replies held in the
// outbox, and returns those still held.
func heldUntilEmpty(t *testing.T, outbox domain.Outbox) []string {
	t.Helper()
	var due []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		due, _ = outbox.Due(context.Background(), time.Now().Add(time.Hour), time.Minute, 10)
		if len(due) == 0 || time.Now().After(deadline) {
			return due
		}
	}
}

// Replies held for a flood wait whose process stopped before they went out
// (their update was confirmed: Telegram will not send it again) are sent by
// the next process, once, before anything newer of their chat.
func TestHeldRepliesAreTakenUpAfterARestart(t *testing.T) {
	h := newHarness(t, shipped(t), func(c *telegram.Config) { c.DrainTimeout = 200 * time.Millisecond })
	h.fake.FailNext("sendMessage", 1, 429, 30)
	stuck := h.fake.PushText(41, "/help")
	h.fake.WaitConfirmed(t, stuck)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Sent(41)); n != 0 {
		t.Fatalf("%d messages went out despite the flood wait", n)
	}
	h.fake.ClearFaults()
	h.fake.PushText(41, "/law") // already waiting when the next process starts
	h.start(func(c *telegram.Config) { c.DrainTimeout = 200 * time.Millisecond })
	sent := h.fake.WaitSent(t, 41, 2)
	contains(t, sent[0], "/menu 回到主菜单")
	contains(t, sent[1], "想看哪方面的法律规定")
	time.Sleep(200 * time.Millisecond)
	if n := len(h.fake.Sent(41)); n != 2 {
		t.Errorf("%d messages to chat 41, want the held reply once and then the next one", n)
	}
	if due := heldUntilEmpty(t, h.store.(domain.Outbox)); len(due) != 0 {
		t.Errorf("still held: %v", due)
	}
}

// Held replies that could not go out before the chat's next update (Telegram
// was unreachable) go out before that update's reply, in the same process.
func TestHeldRepliesGoBeforeTheChatsNextTurn(t *testing.T) {
	h := newHarness(t, shipped(t), func(c *telegram.Config) { c.RetryBackoff = time.Millisecond })
	h.fake.FailNext("sendMessage", 1, 429, 1)
	h.fake.FailNext("sendMessage", 5, 502, 0) // then every retry fails (6 attempts): the held reply stays undelivered
	stuck := h.fake.PushText(41, "/help")
	h.fake.WaitConfirmed(t, stuck)
	h.fake.WaitCalls(t, "sendMessage", 6)
	h.fake.PushText(41, "/law")
	sent := h.fake.WaitSent(t, 41, 2)
	contains(t, sent[0], "/menu 回到主菜单")
	contains(t, sent[1], "想看哪方面的法律规定")
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.FailNext("sendMessage", 1, 403, 0) // the person blocked the bot
	h.fake.PushText(42, "/help")
	h.fake.WaitCalls(t, "sendMessage", 1)
	h.fake.PushText(43, "/help") // the bot carries on with others
	h.fake.WaitSent(t, 43, 1)
	if n := len(h.fake.Calls("sendMessage")); n != 2 {
		t.Errorf("%d sendMessage calls, want 2 (no retry of a 403)", n)
	}
}

// A slow API is waited for. A hung sendMessage times out and is not sent
// again blindly (Telegram may have delivered it); the update is left
// unconfirmed, comes back, and the person gets the reply (kept with the session).
func TestSlowAndHungAPI(t *testing.T) {
	// 10 times the delay: a slow call under -race on a busy machine must not
	// time out (and be counted twice); the hung one still does.
	h := newHarness(t, shipped(t), func(c *telegram.Config) { c.CallTimeout = 2 * time.Second })
	h.fake.DelayAll("sendMessage", 200*time.Millisecond)
	h.fake.PushText(41, "/help")
	contains(t, h.fake.WaitSent(t, 41, 1)[0], "/menu 回到主菜单")

	h.fake.HangNext("sendMessage", 1)
	id := h.fake.PushText(42, "/law")
	sent := h.fake.WaitSent(t, 42, 1)
	contains(t, sent[0], "想看哪方面的法律规定")
	h.fake.WaitConfirmed(t, id)
	time.Sleep(100 * time.Millisecond)
	if n := len(h.fake.Sent(42)); n != 1 {
		t.Errorf("%d messages after a hung send, want 1", n)
	}
	if n := len(h.fake.Calls("sendMessage")); n != 3 {
		t.Errorf("%d sendMessage calls, want 3 (41, the hung one, the question again)", n)
	}
}

func TestMalformedAndUnsupportedUpdates(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	// Valid JSON of the wrong shape (Telegram never sends invalid JSON in a
	// getUpdates answer; the webhook test covers bodies that are not JSON).
	bad := h.fake.PushRaw(`{"message": "this is not a message"}`)
	h.fake.PushRaw(`{"callback_query": {"id": 5}}`)
	h.fake.PushMessage(42, map[string]any{"sticker": map[string]any{"file_id": "s", "file_unique_id": "u", "width": 1, "height": 1, "is_animated": false, "is_video": false, "type": "regular"}})
	h.fake.PushMessage(42, map[string]any{"location": map[string]any{"latitude": 31.2, "longitude": 121.5}})
	last := h.fake.PushText(42, "/help")
	sent := h.fake.WaitSent(t, 42, 3)
	contains(t, sent[0], "图片、截图、录音、视频和文件")
	contains(t, sent[1], "图片、截图、录音、视频和文件")
	contains(t, sent[2], "/menu 回到主菜单")
	h.fake.WaitConfirmed(t, last)
	for _, id := range h.fake.Unconfirmed() {
		if id <= last {
			t.Errorf("update %d (malformed: %d) never confirmed: it would block the queue", id, bad)
		}
	}
}

func TestGroupChatsGetPointedToPrivateChat(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.PushGroupText(-1001, 42, "/start@AnNingTestBot")
	h.fake.PushGroupText(-1001, 42, "大家好") // not addressed to the bot: no answer
	last := h.fake.PushText(42, "/help")
	contains(t, h.fake.WaitSent(t, -1001, 1)[0], "我只在私聊中工作")
	h.fake.WaitSent(t, 42, 1)
	h.fake.WaitConfirmed(t, last)
	if n := len(h.fake.Sent(-1001)); n != 1 {
		t.Errorf("%d messages to the group, want 1", n)
	}
	if e, err := h.store.Get(context.Background(), "-1001"); err != nil || e.Rev != 0 {
		t.Errorf("something of the group was stored: %+v %v", e, err)
	}
}

func TestBadTokenStopsTheBot(t *testing.T) {
	fake := fakebot.New(t, token)
	bot, err := telegram.New(telegram.Config{Token: "999:wrong", APIEndpoint: fake.APIEndpoint(), CallTimeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bot.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "999:wrong") {
		t.Fatalf("err = %v (the token must not appear)", err)
	}
}

// Shutdown with updates in flight: those in flight finish and are confirmed,
// those not yet taken stay with Telegram, and a restarted bot answers each
// update exactly once.
func TestShutdownWithUpdatesInFlight(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.DelayAll("sendMessage", 300*time.Millisecond)
	ids := map[int64]int64{}
	for c := int64(200); c < 210; c++ {
		ids[c] = h.fake.PushText(c, "/help")
	}
	h.fake.WaitCalls(t, "sendMessage", 1) // work is under way
	if err := h.stop(); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	unconfirmed := map[int64]bool{}
	for _, id := range h.fake.Unconfirmed() {
		unconfirmed[id] = true
	}
	for c, id := range ids {
		switch n := len(h.fake.Sent(c)); {
		case n == 1 && unconfirmed[id]:
			t.Errorf("chat %d was answered but its update %d not confirmed", c, id)
		case n == 0 && !unconfirmed[id]:
			t.Errorf("chat %d's update %d was confirmed unanswered: lost", c, id)
		case n > 1:
			t.Errorf("chat %d answered %d times", c, n)
		}
	}
	h.fake.ClearFaults()
	h.start(nil)
	probe := h.fake.PushText(300, "/help")
	h.fake.WaitSent(t, 300, 1)
	h.fake.WaitConfirmed(t, probe)
	for c := range ids {
		if n := len(h.fake.Sent(c)); n != 1 {
			t.Errorf("chat %d answered %d times in all, want 1", c, n)
		}
	}
}

// When the drain deadline passes, unfinished updates are not confirmed:
// Telegram sends them again and the next run answers them, once.
func TestShutdownDeadlineLeavesUnfinishedUpdatesToTelegram(t *testing.T) {
	h := newHarness(t, shipped(t), func(c *telegram.Config) { c.DrainTimeout = 300 * time.Millisecond; c.CallTimeout = 5 * time.Second })
	h.fake.HangNext("sendMessage", 1)
	stuck := h.fake.PushText(42, "/help")
	h.fake.WaitCalls(t, "sendMessage", 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if un := h.fake.Unconfirmed(); len(un) != 1 || un[0] != stuck {
		t.Fatalf("unconfirmed after shutdown: %v, want [%d]", un, stuck)
	}
	h.start(nil)
	h.fake.WaitConfirmed(t, stuck)
	// The session had already applied the update before the send hung, so
	// the redelivery is recognised and not answered twice; nothing was lost
	// from the person's state.
	if n := len(h.fake.Sent(42)); n > 1 {
		t.Errorf("update answered %d times", n)
	}
}

func TestPerChatRateLimit(t *testing.T) {
	h := newHarness(t, shipped(t), func(c *telegram.Config) { c.ChatRate, c.ChatBurst = 4, 1 })
	for range 3 {
		h.fake.PushText(42, "/help")
	}
	sent := h.fake.WaitCalls(t, "sendMessage", 3)
	// Paced 250 ms apart, 3 messages span 500 ms; arrivals may bunch by a
	// stall of the busy machine, unlimited ones come within milliseconds.
	if gap := sent[2].At.Sub(sent[0].At); gap < 300*time.Millisecond {
		t.Errorf("3 messages to one chat within %v at 4/s", gap)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// webhookHarness runs the bot in webhook mode on a free port.
func webhookHarness(t *testing.T) (h *harness, hookURL, secret string) {
	addr := freePort(t)
	secret = "s3cret-token-of-the-webhook"
	hookURL = "http://" + addr + "/tg/hook"
	h = newHarness(t, shipped(t), func(c *telegram.Config) {
		c.WebhookURL, c.WebhookSecret, c.WebhookAddr = hookURL, secret, addr
	})
	return h, hookURL, secret
}

func TestWebhook(t *testing.T) {
	h, hookURL, secret := webhookHarness(t)
	url, gotSecret, maxConn, allowed, set := h.fake.WebhookInfo()
	if !set || url != hookURL || gotSecret != secret || maxConn == 0 || strings.Join(allowed, ",") != "message,callback_query" {
		t.Fatalf("setWebhook: %q %q %d %v %v", url, gotSecret, maxConn, allowed, set)
	}
	id := h.fake.PushText(42, "/start")
	if status, err := h.fake.Deliver(hookURL, "wrong-secret-wrong-secret", id); err != nil || status != 401 {
		t.Fatalf("wrong secret: %d %v", status, err)
	}
	if status, _ := h.fake.Deliver(hookURL, "", id); status != 401 {
		t.Fatalf("no secret: %d", status)
	}
	if n := len(h.fake.Sent(42)); n != 0 {
		t.Fatalf("an unauthenticated update was handled")
	}
	if status, err := h.fake.Deliver(hookURL, secret, id); err != nil || status != 200 {
		t.Fatalf("delivery: %d %v", status, err)
	}
	contains(t, h.fake.WaitSent(t, 42, 1)[0], "你好，这里是“安宁”")
	for _, raw := range []string{`{"update_id": "x", "message": 5}`, `not json at all`} {
		bad := h.fake.PushRaw(raw)
		if status, _ := h.fake.Deliver(hookURL, secret, bad); status != 200 {
			t.Errorf("malformed update %q answered %d: Telegram would retry it and block the chat", raw, status)
		}
	}
	// Telegram retries a delivery it thinks failed: the session recognises
	// it and does not apply it again, and since its reply was delivered,
	// sends nothing. (A reply that was not delivered is sent again in full:
	// TestSlowAndHungAPI.)
	next := h.fake.PushText(42, "2")
	if status, _ := h.fake.Deliver(hookURL, secret, next); status != 200 {
		t.Fatalf("delivery: %d", status)
	}
	contains(t, h.fake.WaitSent(t, 42, 2)[1], "不是你的债")
	if status, _ := h.fake.Deliver(hookURL, secret, id); status != 200 {
		t.Errorf("redelivery: %d", status)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(h.fake.Sent(42)); n != 2 {
		t.Errorf("a redelivered older update was answered (%d messages)", n)
	}
	if status, _ := h.fake.Deliver(hookURL, secret, next); status != 200 {
		t.Errorf("redelivery: %d", status)
	}
	// Its reply went out the first time, so nothing is sent again.
	time.Sleep(100 * time.Millisecond)
	if n := len(h.fake.Sent(42)); n != 2 {
		t.Errorf("a redelivered update whose reply was delivered was answered again (%d messages)", n)
	}
	if len(h.fake.Calls("getUpdates")) != 0 {
		t.Error("webhook mode polled")
	}
}

// In webhook mode a press is answered in the webhook's answer to its
// update (Telegram makes the answerCallbackQuery call), and a typed choice
// takes the buttons it answered away there: an ordinary turn costs one
// request, the reply.
func TestWebhookAnswersPressesInItsAnswer(t *testing.T) {
	h, hookURL, secret := webhookHarness(t)
	deliver := func(id int64) {
		t.Helper()
		if status, err := h.fake.Deliver(hookURL, secret, id); err != nil || status != 200 {
			t.Fatalf("delivery: %d %v", status, err)
		}
	}
	deliver(h.fake.PushText(42, "/start"))
	sent := h.fake.WaitSent(t, 42, 1)
	buttons := lastButtons(sent)
	deliver(h.fake.PushCallback(42, sent[0].MessageID, buttons[0].CallbackData))
	contains(t, h.fake.WaitSent(t, 42, 2)[1], "先别慌")
	deliver(h.fake.PushCallback(42, sent[0].MessageID, buttons[1].CallbackData))
	contains(t, h.fake.WaitSent(t, 42, 3)[2], "这个按钮已过期")
	answers := h.fake.Calls("answerCallbackQuery")
	if len(answers) != 2 || !answers[0].InWebhookAnswer || !answers[1].InWebhookAnswer {
		t.Fatalf("presses answered by %d calls, want 2 in the webhook's answers: %+v", len(answers), answers)
	}
	if answers[0].Params.Get("callback_query_id") == "" || answers[0].Params.Get("text") != "" || answers[1].Params.Get("text") != "已过期" {
		t.Errorf("answers: %v, %v", answers[0].Params, answers[1].Params)
	}
	for _, c := range answers {
		if c.Status != 200 {
			t.Errorf("Telegram refused the folded answer: %d", c.Status)
		}
	}
	// The stale press also took the old buttons away: one call per answer,
	// so that edit was a request. A typed choice's removal of the buttons
	// it answered goes in the answer.
	if edits := h.fake.WaitCalls(t, "editMessageReplyMarkup", 1); edits[0].InWebhookAnswer {
		t.Errorf("two calls folded into one answer")
	}
	deliver(h.fake.PushText(42, "1"))
	h.fake.WaitSent(t, 42, 4)
	edits := h.fake.WaitCalls(t, "editMessageReplyMarkup", 2)
	if !edits[1].InWebhookAnswer || edits[1].Status != 200 {
		t.Errorf("a typed choice's removal of the buttons: in the answer %v, status %d", edits[1].InWebhookAnswer, edits[1].Status)
	}
}

// Many chats at once through the webhook: bounded concurrency, nothing lost.
func TestWebhookManyChats(t *testing.T) {
	addr := freePort(t)
	secret := "s3cret-token-of-the-webhook"
	hookURL := "http://" + addr + "/hook"
	h := newHarness(t, shipped(t), func(c *telegram.Config) {
		c.WebhookURL, c.WebhookSecret, c.WebhookAddr, c.Workers = hookURL, secret, addr, 4
	})
	var wg sync.WaitGroup
	for c := int64(1); c <= 40; c++ {
		id := h.fake.PushText(c, "/help")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, err := h.fake.Deliver(hookURL, secret, id); status != 200 || err != nil {
				t.Errorf("delivery %d: %d %v", id, status, err)
			}
		}()
	}
	wg.Wait()
	for c := int64(1); c <= 40; c++ {
		if n := len(h.fake.Sent(c)); n != 1 {
			t.Errorf("chat %d got %d replies", c, n)
		}
	}
}

// A chat waiting out a flood wait gives its worker back: with a single
// worker, another chat is answered meanwhile. In webhook mode the waiting
// update is answered (200) only once its reply went out, so Telegram keeps
// the chat's next update until then.
func TestWebhookFloodWaitHoldsNoWorker(t *testing.T) {
	addr := freePort(t)
	secret := "s3cret-token-of-the-webhook"
	hookURL := "http://" + addr + "/hook"
	h := newHarness(t, shipped(t), func(c *telegram.Config) {
		c.WebhookURL, c.WebhookSecret, c.WebhookAddr, c.Workers = hookURL, secret, addr, 1
	})
	h.fake.FailNext("sendMessage", 1, 429, 4) // a flood wait far longer than a stall of a busy machine
	start := time.Now()
	stuck := make(chan time.Duration, 1)
	go func() {
		id := h.fake.PushText(41, "/help")
		if status, err := h.fake.Deliver(hookURL, secret, id); status != 200 || err != nil {
			t.Errorf("stuck delivery: %d %v", status, err)
		}
		stuck <- time.Since(start)
	}()
	h.fake.WaitCalls(t, "sendMessage", 1)
	id := h.fake.PushText(42, "/help")
	if status, err := h.fake.Deliver(hookURL, secret, id); status != 200 || err != nil {
		t.Fatalf("delivery: %d %v", status, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the other chat was answered after %v: the waiting chat held the only worker", d)
	}
	if d := <-stuck; d < 4*time.Second {
		t.Errorf("the waiting update was answered after %v, before its flood wait of 4 s was over", d)
	}
	if a, b := len(h.fake.Sent(41)), len(h.fake.Sent(42)); a != 1 || b != 1 {
		t.Errorf("answers: %d to chat 41, %d to chat 42; want one each", a, b)
	}
}

// A message Telegram took but whose answer was lost is never sent again by
// a retry: the person would get it twice.
func TestLostAnswerIsNotResent(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.SucceedThenDrop("sendMessage", 1)
	id := h.fake.PushText(42, "/law")
	contains(t, h.fake.WaitSent(t, 42, 1)[0], "想看哪方面的法律规定")
	h.fake.WaitConfirmed(t, id)
	time.Sleep(100 * time.Millisecond)
	for _, m := range h.fake.Sent(42)[1:] {
		if strings.Contains(m.Text, "想看哪方面的法律规定\\n") && len(m.Keyboard) == 0 {
			t.Errorf("resent: %q", m.Text)
		}
	}
	if n := len(h.fake.Calls("sendMessage")); n > 2 {
		t.Errorf("%d sendMessage calls: retried blindly", n)
	}
}

type slowHandler struct {
	telegram.Handler
	d time.Duration
}

func (s slowHandler) Handle(ctx context.Context, user string, ev domain.Event) ([]domain.Reply, error) {
	time.Sleep(s.d)
	return s.Handler.Handle(ctx, user, ev)
}

// A slow turn shows "typing…" (after TypingAfter, then every 4 s); a quick
// one sends nothing but its reply.
func TestTypingOnlyForSlowTurns(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.stop()
	bot, err := telegram.New(h.config(func(c *telegram.Config) { c.TypingAfter = 100 * time.Millisecond }),
		slowHandler{Handler: h.runner, d: 1500 * time.Millisecond}) // typing is due after 100 ms: a wide margin
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	h.fake.PushText(42, "/help")
	h.fake.WaitSent(t, 42, 1)
	actions := h.fake.Calls("sendChatAction")
	if len(actions) != 1 || actions[0].Params.Get("action") != "typing" || actions[0].Params.Get("chat_id") != "42" {
		t.Errorf("sendChatAction calls for a 1.5 s turn: %+v", actions)
	}
	cancel()
	<-done
	before := len(h.fake.Calls("sendChatAction"))
	fast, err := telegram.New(h.config(func(c *telegram.Config) { c.TypingAfter = 2 * time.Second }), h.runner)
	if err != nil {
		t.Fatal(err)
	}
	fastCtx, stopFast := context.WithCancel(context.Background())
	defer func() { stopFast(); <-done }()
	go func() { done <- fast.Run(fastCtx) }()
	h.fake.PushText(43, "/help")
	h.fake.WaitSent(t, 43, 1)
	time.Sleep(2200 * time.Millisecond)
	if n := len(h.fake.Calls("sendChatAction")); n != before {
		t.Errorf("a quick turn showed typing (%d actions)", n-before)
	}
}
