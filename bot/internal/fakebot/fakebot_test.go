package fakebot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const token = "123456:TEST-token_abc"

func newBot(t *testing.T, s *Server, timeout time.Duration) *tgbotapi.BotAPI {
	t.Helper()
	bot, err := tgbotapi.NewBotAPIWithClient(token, s.APIEndpoint(), &http.Client{Timeout: timeout})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return bot
}

func apiErr(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *tgbotapi.Error, got %T %v", err, err)
	}
	return e
}

func TestGetMe(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	if bot.Self.ID != BotID || !bot.Self.IsBot || bot.Self.UserName != BotUsername || bot.Self.FirstName != BotFirstName {
		t.Fatalf("Self = %+v", bot.Self)
	}
	if c := s.Calls("getMe"); len(c) != 1 || c[0].Status != 200 || !c[0].Done {
		t.Fatalf("calls %+v", c)
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	s := New(t, token)
	_, err := tgbotapi.NewBotAPIWithClient("999:wrong", s.APIEndpoint(), &http.Client{Timeout: 5 * time.Second})
	if e := apiErr(t, err); e.Code != 401 || e.Message != "Unauthorized" {
		t.Fatalf("wrong token: %+v", e)
	}
	if c := s.Calls("getMe"); len(c) != 1 || c[0].Status != 401 {
		t.Fatalf("failed call not recorded: %+v", c)
	}

	bot := newBot(t, s, 5*time.Second)
	_, err = bot.MakeRequest("noSuchMethod", nil)
	if e := apiErr(t, err); e.Code != 404 {
		t.Fatalf("unknown method: %+v", e)
	}

	// raw HTTP: status equals error_code
	resp, err := http.Post(s.URL()+"/bot999:wrong/getMe", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || string(body) != `{"ok":false,"error_code":401,"description":"Unauthorized"}` {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestSendMessage(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)

	kb := tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("是", "yes"), tgbotapi.NewInlineKeyboardButtonData("否", "no")),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("帮助", "https://example.org")),
	)
	markup, _ := json.Marshal(kb)
	resp, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "42", "text": "你好", "reply_markup": string(markup)})
	if err != nil || !resp.Ok {
		t.Fatalf("MakeRequest: %v %+v", err, resp)
	}
	var m tgbotapi.Message
	if err := json.Unmarshal(resp.Result, &m); err != nil {
		t.Fatal(err)
	}
	if m.MessageID <= 0 || m.Chat.ID != 42 || m.Chat.Type != "private" || m.Text != "你好" || m.ReplyMarkup == nil {
		t.Fatalf("message %+v", m)
	}

	m2, err := bot.Send(tgbotapi.NewMessage(42, "second"))
	if err != nil || m2.MessageID <= m.MessageID {
		t.Fatalf("Send: %v, ids %d then %d", err, m.MessageID, m2.MessageID)
	}

	sent := s.Sent(42)
	if len(sent) != 2 || sent[0].Text != "你好" || sent[1].Keyboard != nil || sent[0].MessageID != m.MessageID {
		t.Fatalf("sent %+v", sent)
	}
	want := [][]Button{{{Text: "是", CallbackData: "yes"}, {Text: "否", CallbackData: "no"}}, {{Text: "帮助", URL: "https://example.org"}}}
	if fmt.Sprint(sent[0].Keyboard) != fmt.Sprint(want) {
		t.Fatalf("keyboard %v, want %v", sent[0].Keyboard, want)
	}
	if got := s.Calls("sendMessage")[0].Params.Get("reply_markup"); got != string(markup) {
		t.Fatalf("reply_markup param %q", got)
	}
	if len(s.Sent(43)) != 0 {
		t.Fatal("other chat got messages")
	}
}

func TestFailNextErrorType(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)

	s.FailNext("sendMessage", 1, 429, 3)
	resp, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "x"})
	if err == nil {
		t.Fatal("want error")
	}
	var val tgbotapi.Error
	if errors.As(err, &val) {
		t.Fatal("library now returns tgbotapi.Error by value: update the package comment")
	}
	var ptr *tgbotapi.Error
	if !errors.As(err, &ptr) {
		t.Fatalf("want *tgbotapi.Error, got %T", err)
	}
	if ptr.Code != 429 || ptr.RetryAfter != 3 || ptr.Message != "Too Many Requests: retry after 3" {
		t.Fatalf("error %+v", ptr)
	}
	if resp == nil || resp.Ok || resp.ErrorCode != 429 {
		t.Fatalf("resp %+v", resp)
	}
	if len(s.Sent(1)) != 0 {
		t.Fatal("failed call had an effect")
	}
	c := s.Calls("sendMessage")
	if len(c) != 1 || c[0].Status != 429 {
		t.Fatalf("calls %+v", c)
	}
	// the fault is used up
	if _, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "x"}); err != nil {
		t.Fatal(err)
	}

	// UploadFiles (multipart) drops the code: Code 0, RetryAfter still set.
	s.FailNext("sendDocument", 1, 429, 7)
	_, err = bot.Send(tgbotapi.NewDocument(1, tgbotapi.FileBytes{Name: "a.txt", Bytes: []byte("a")}))
	if e := apiErr(t, err); e.Code != 0 || e.RetryAfter != 7 {
		t.Fatalf("upload error %+v (library quirk changed? update the package comment)", e)
	}

	// "" applies to any method, 500 without retry_after
	s.FailNext("", 2, 500, 0)
	for _, m := range []string{"getMe", "sendChatAction"} {
		_, err := bot.MakeRequest(m, tgbotapi.Params{"chat_id": "1", "action": "typing"})
		if e := apiErr(t, err); e.Code != 500 || e.RetryAfter != 0 {
			t.Fatalf("%s: %+v", m, e)
		}
	}
	if _, err := bot.MakeRequest("getMe", nil); err != nil {
		t.Fatal(err)
	}

	// raw HTTP status and body
	s.FailNext("getMe", 1, 502, 0)
	r, err := http.Get(fmt.Sprintf(s.APIEndpoint(), token, "getMe"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 502 || string(body) != `{"ok":false,"error_code":502,"description":"Bad Gateway"}` {
		t.Fatalf("got %d %s", r.StatusCode, body)
	}
}

func TestFailShare(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	p := tgbotapi.Params{"chat_id": "6", "text": "x"}

	// share 1: every sendMessage fails with 429 and retry_after, without effect;
	// other methods are untouched, and FailNext's faults come first.
	s.FailShare("sendMessage", 1, time.Minute, 429, 1)
	s.FailNext("sendMessage", 1, 500, 0)
	_, err := bot.MakeRequest("sendMessage", p)
	if e := apiErr(t, err); e.Code != 500 {
		t.Fatalf("FailNext first: %+v", e)
	}
	for range 3 {
		_, err := bot.MakeRequest("sendMessage", p)
		if e := apiErr(t, err); e.Code != 429 || e.RetryAfter != 1 || e.Message != "Too Many Requests: retry after 1" {
			t.Fatalf("storm: %+v", e)
		}
	}
	if _, err := bot.MakeRequest("getMe", nil); err != nil {
		t.Fatalf("other method failed: %v", err)
	}
	if len(s.Sent(6)) != 0 {
		t.Fatal("a failed call had an effect")
	}
	n429 := 0
	for _, c := range s.Calls("sendMessage") {
		if c.Status == 429 {
			n429++
		}
	}
	if n429 != 3 {
		t.Fatalf("%d calls recorded with 429, want 3", n429)
	}

	// share 0.5: some fail, some pass.
	s.FailShare("sendMessage", 0.5, time.Minute, 429, 1)
	failed := 0
	for range 200 {
		if _, err := bot.MakeRequest("sendMessage", p); err != nil {
			failed++
		}
	}
	if failed < 40 || failed > 160 {
		t.Fatalf("share 0.5 failed %d of 200 calls", failed)
	}

	// It ends after its duration, and ClearFaults ends it at once.
	s.FailShare("", 1, 50*time.Millisecond, 429, 1)
	time.Sleep(100 * time.Millisecond)
	if _, err := bot.MakeRequest("sendMessage", p); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
	s.FailShare("", 1, time.Minute, 429, 1)
	s.ClearFaults()
	if _, err := bot.MakeRequest("sendMessage", p); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
	s.FailShare("", 1, time.Minute, 429, 1)
	s.FailShare("", 0, 0, 0, 0)
	if _, err := bot.MakeRequest("sendMessage", p); err != nil {
		t.Fatalf("after FailShare(0): %v", err)
	}
}

// FailShareOf fails only the methods named; Tally counts every call by
// method and status.
func TestFailShareOfAndTally(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	p := tgbotapi.Params{"chat_id": "6", "text": "x"}
	s.FailShareOf([]string{"sendMessage", "answerCallbackQuery"}, 1, time.Minute, 429, 2)
	if _, err := bot.MakeRequest("sendMessage", p); apiErr(t, err).RetryAfter != 2 {
		t.Fatalf("sendMessage passed the storm: %v", err)
	}
	if _, err := bot.MakeRequest("getMe", nil); err != nil {
		t.Fatalf("a method not named failed: %v", err)
	}
	s.FailShareOf(nil, 1, time.Minute, 429, 2) // no methods: ends it
	if _, err := bot.MakeRequest("sendMessage", p); err != nil {
		t.Fatal(err)
	}
	tally := s.Tally()
	if tally["sendMessage"][429] != 1 || tally["sendMessage"][200] != 1 || tally["getMe"][200] != 2 { // NewBotAPIWithClient calls getMe too
		t.Fatalf("tally %v", tally)
	}
}

func TestFaultsInOrder(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	s.FailNextWith("sendMessage", 1, 403, "Forbidden: bot was blocked by the user", 0)
	s.FailNext("", 1, 502, 0)
	p := tgbotapi.Params{"chat_id": "5", "text": "x"}
	_, err := bot.MakeRequest("getMe", nil) // first matching fault: the "" one
	if e := apiErr(t, err); e.Code != 502 {
		t.Fatalf("getMe %+v", e)
	}
	_, err = bot.MakeRequest("sendMessage", p)
	if e := apiErr(t, err); e.Code != 403 || e.Message != "Forbidden: bot was blocked by the user" {
		t.Fatalf("sendMessage %+v", e)
	}
	if _, err := bot.MakeRequest("sendMessage", p); err != nil {
		t.Fatal(err)
	}
	s.FailNext("getMe", 5, 500, 0)
	s.ClearFaults()
	if _, err := bot.MakeRequest("getMe", nil); err != nil {
		t.Fatal(err)
	}
}

func TestBreakNext(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	s.BreakNext("sendMessage", 1)
	resp, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "x"})
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("want *json.SyntaxError, got %T %v", err, err)
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		t.Fatal("a broken body became a *tgbotapi.Error")
	}
	if err.Error() != "invalid character '<' looking for beginning of value" {
		t.Fatalf("message %q", err)
	}
	if resp == nil || resp.Ok || resp.ErrorCode != 0 {
		t.Fatalf("resp %+v", resp)
	}
	if c := s.Calls("sendMessage"); len(c) != 1 || c[0].Status != 502 || len(s.Sent(1)) != 0 {
		t.Fatalf("calls %+v", c)
	}

	s.BreakNext("", 1)
	r, err := http.Post(fmt.Sprintf(s.APIEndpoint(), token, "getMe"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 502 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("<h1>502 Bad Gateway</h1>")) {
		t.Fatalf("got %d %q %s", r.StatusCode, r.Header.Get("Content-Type"), body)
	}
}

func TestGetUpdatesOffsets(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	id1 := s.PushText(10, "/start now")
	id2 := s.PushText(10, "你好")
	id3 := s.PushGroupText(-100, 11, "hi all")
	if id2 != id1+1 || id3 != id2+1 {
		t.Fatalf("ids %d %d %d", id1, id2, id3)
	}

	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 3 {
		t.Fatalf("GetUpdates: %v %d", err, len(ups))
	}
	m := ups[0].Message
	if ups[0].UpdateID != int(id1) || m == nil || !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "now" || m.Chat.ID != 10 || m.From.ID != 10 || m.Chat.Type != "private" {
		t.Fatalf("update 0: %+v %+v", ups[0], m)
	}
	if ups[1].Message.IsCommand() || ups[1].Message.Text != "你好" || ups[1].Message.MessageID <= m.MessageID {
		t.Fatalf("update 1: %+v", ups[1].Message)
	}
	if g := ups[2].Message; g.Chat.ID != -100 || g.Chat.Type != "group" || g.From.ID != 11 {
		t.Fatalf("group %+v %+v", g.Chat, g.From)
	}
	if got := s.Unconfirmed(); !slices.Equal(got, []int64{id1, id2, id3}) {
		t.Fatalf("nothing confirmed yet, got %v", got)
	}

	// offset confirms the smaller ids; limit caps the batch
	ups, err = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id2), Limit: 1})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != int(id2) {
		t.Fatalf("offset+limit: %v %+v", err, ups)
	}
	if got := s.Unconfirmed(); !slices.Equal(got, []int64{id2, id3}) {
		t.Fatalf("unconfirmed %v", got)
	}
	// confirmed updates are gone for good, even with a smaller offset
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id1)})
	if len(ups) != 2 || ups[0].UpdateID != int(id2) {
		t.Fatalf("after confirm: %+v", ups)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id3) + 1})
	if len(ups) != 0 || len(s.Unconfirmed()) != 0 {
		t.Fatalf("all confirmed: %+v %v", ups, s.Unconfirmed())
	}
	s.WaitConfirmed(t, id3)

	// negative offset: the last k updates, older ones forgotten
	a, b, c := s.PushText(1, "a"), s.PushText(1, "b"), s.PushText(1, "c")
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: -2})
	if len(ups) != 2 || ups[0].UpdateID != int(b) || ups[1].UpdateID != int(c) || slices.Contains(s.Unconfirmed(), a) {
		t.Fatalf("negative offset: %+v, unconfirmed %v", ups, s.Unconfirmed())
	}

	// params arrive as strings; allowed_updates as JSON
	_, err = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 7, Limit: 5, AllowedUpdates: []string{"message", "callback_query"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := s.Calls("getUpdates")
	p := calls[len(calls)-1].Params
	if p.Get("offset") != "7" || p.Get("limit") != "5" || p.Get("allowed_updates") != `["message","callback_query"]` {
		t.Fatalf("params %v", p)
	}
	if first := calls[0].Params; first.Get("allowed_updates") != "null" || first.Has("offset") {
		t.Fatalf("library default params changed: %v", first)
	}
}

func TestPushMessageCallbackRaw(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	sent, err := bot.Send(tgbotapi.MessageConfig{BaseChat: tgbotapi.BaseChat{ChatID: 20, ReplyMarkup: tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "pick:a")))}, Text: "choose"})
	if err != nil {
		t.Fatal(err)
	}

	s.PushMessage(20, map[string]any{"sticker": map[string]any{"file_id": "stk", "file_unique_id": "u", "width": 512, "height": 512, "is_animated": false, "is_video": false, "type": "regular"}})
	s.PushMessage(20, map[string]any{"location": map[string]any{"latitude": 31.2, "longitude": 121.5}, "forward_date": 1700000000})
	cb := s.PushCallback(20, sent.MessageID, "pick:a")
	r1 := s.PushRaw(`{"message":{"message_id":5,"date":1,"chat":{"id":20,"type":"private"},"text":"raw"}}`)
	r2 := s.PushRaw(`{"update_id":9999,"edited_message":{"message_id":5,"date":1,"chat":{"id":20,"type":"private"}}}`)
	r3 := s.PushRaw(` {} `)

	if got := string(s.Update(r1)); got != fmt.Sprintf(`{"update_id":%d,"message":{"message_id":5,"date":1,"chat":{"id":20,"type":"private"},"text":"raw"}}`, r1) {
		t.Fatalf("raw with id inserted: %s", got)
	}
	if got := string(s.Update(r2)); !strings.HasPrefix(got, `{"update_id":9999,`) {
		t.Fatalf("raw with own id must stay verbatim: %s", got)
	}
	if got := string(s.Update(r3)); got != fmt.Sprintf(`{"update_id":%d}`, r3) {
		t.Fatalf("empty object: %s", got)
	}

	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 6 {
		t.Fatalf("%v %d", err, len(ups))
	}
	if ups[0].Message.Sticker == nil || ups[0].Message.Sticker.FileID != "stk" {
		t.Fatalf("sticker %+v", ups[0].Message)
	}
	if ups[1].Message.Location == nil || ups[1].Message.ForwardDate != 1700000000 {
		t.Fatalf("location %+v", ups[1].Message)
	}
	q := ups[2].CallbackQuery
	if ups[2].UpdateID != int(cb) || q == nil || q.ID == "" || q.From.ID != 20 || q.Data != "pick:a" || q.Message == nil ||
		q.Message.MessageID != sent.MessageID || q.Message.Chat.ID != 20 || q.Message.Text != "choose" || q.Message.ReplyMarkup == nil {
		t.Fatalf("callback %+v %+v", q, q.Message)
	}
	if ups[3].Message.Text != "raw" || ups[4].UpdateID != 9999 || ups[4].EditedMessage == nil {
		t.Fatalf("raw updates %+v %+v", ups[3], ups[4])
	}

	// a non-object takes a slot and breaks the whole batch, as it would
	bad := s.PushRaw(`not json`)
	if bad != r3+1 || string(s.Update(bad)) != "not json" {
		t.Fatalf("bad slot %d %q", bad, s.Update(bad))
	}
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(bad)}); err == nil {
		t.Fatal("invalid JSON update must break decoding")
	}
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(bad) + 1}); err != nil {
		t.Fatal(err)
	}
	if s.Update(12345) != nil {
		t.Fatal("unknown update")
	}
}

func TestLongPoll(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 20*time.Second)

	// an update pushed during the poll ends it at once
	type res struct {
		ups []tgbotapi.Update
		err error
		d   time.Duration
	}
	done := make(chan res, 1)
	go func() {
		start := time.Now()
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		done <- res{ups, err, time.Since(start)}
	}()
	s.WaitCalls(t, "getUpdates", 1)
	time.Sleep(100 * time.Millisecond)
	id := s.PushText(3, "wake")
	r := <-done
	if r.err != nil || len(r.ups) != 1 || r.ups[0].UpdateID != int(id) || r.d > 3*time.Second {
		t.Fatalf("long poll: %+v", r)
	}

	// nothing: [] after the timeout
	start := time.Now()
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id) + 1, Timeout: 1})
	if d := time.Since(start); err != nil || len(ups) != 0 || d < 900*time.Millisecond || d > 5*time.Second {
		t.Fatalf("timeout poll: %v %d after %v", err, len(ups), d)
	}

	// a poll that the client abandons is marked done without a status
	short := newBot(t, s, 300*time.Millisecond)
	if _, err := short.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id) + 1, Timeout: 5}); err == nil {
		t.Fatal("want client timeout")
	}
	n := len(s.Calls("getUpdates"))
	deadline := time.Now().Add(5 * time.Second)
	for c := s.Calls("getUpdates")[n-1]; !c.Done; c = s.Calls("getUpdates")[n-1] {
		if time.Now().After(deadline) {
			t.Fatal("abandoned poll still running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.Calls("getUpdates")[n-1].Status; st != 0 {
		t.Fatalf("abandoned poll status %d", st)
	}
}

func TestCloseEndsLongPoll(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 60*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- err
	}()
	s.WaitCalls(t, "getUpdates", 1)
	s.HangNext("sendMessage", 1)
	hung := make(chan error, 1)
	go func() {
		_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "x"})
		hung <- err
	}()
	s.WaitCalls(t, "sendMessage", 1)
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("poll after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("long poll did not end on Close")
	}
	select {
	case err := <-hung:
		if err == nil {
			t.Fatal("hung call got an answer")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("hung call did not end on Close")
	}
	s.Close() // idempotent
}

func TestHangNext(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 300*time.Millisecond)
	s.HangNext("sendMessage", 1)
	start := time.Now()
	_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "8", "text": "x"})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want client timeout, got %T %v", err, err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("returned after %v", d)
	}
	if c := s.WaitCalls(t, "sendMessage", 1); len(c) != 1 {
		t.Fatal(c)
	}
	if len(s.Sent(8)) != 0 {
		t.Fatal("hung call had an effect")
	}
	if _, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "8", "text": "y"}); err != nil {
		t.Fatalf("after hang: %v", err)
	}
	if s.WaitSent(t, 8, 1)[0].Text != "y" {
		t.Fatal("wrong message")
	}
}

func TestSucceedThenDrop(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	s.SucceedThenDrop("sendMessage", 1)
	_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "9", "text": "lost answer"})
	if err == nil {
		t.Fatal("want an error for the dropped response")
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		t.Fatalf("dropped connection became an API error: %v", err)
	}
	if sent := s.Sent(9); len(sent) != 1 || sent[0].Text != "lost answer" {
		t.Fatalf("effect missing: %+v", sent)
	}
	if c := s.Calls("sendMessage"); len(c) != 1 || c[0].Status != 0 || !c[0].Done {
		t.Fatalf("calls %+v", c)
	}

	// on getUpdates the offset still confirms
	id := s.PushText(9, "a")
	s.PushText(9, "b")
	s.SucceedThenDrop("getUpdates", 1)
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(id) + 1}); err == nil {
		t.Fatal("want error")
	}
	if got := s.Unconfirmed(); len(got) != 1 || got[0] != id+1 {
		t.Fatalf("unconfirmed %v", got)
	}
}

func TestDelayAll(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	// Delays far apart from what a busy -race machine adds to a call (up to
	// about a second): delayed is >= 3 s, not delayed < 2 s.
	s.DelayAll("sendMessage", 3*time.Second)
	start := time.Now()
	if _, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "x"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 3*time.Second {
		t.Fatalf("not delayed: %v", d)
	}
	start = time.Now()
	if _, err := bot.MakeRequest("getMe", nil); err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("getMe delayed: %v %v", err, time.Since(start))
	}

	// a client giving up ends the delay; the call has no effect
	s.DelayAll("", 5*time.Second)
	quick := &http.Client{Timeout: 200 * time.Millisecond}
	if b2, err := tgbotapi.NewBotAPIWithClient(token, s.APIEndpoint(), quick); err == nil || b2 != nil {
		t.Fatal("getMe should have timed out")
	}
	start = time.Now()
	for {
		c := s.Calls("getMe")
		if last := c[len(c)-1]; last.Done {
			if last.Status != 0 {
				t.Fatalf("abandoned call status %d", last.Status)
			}
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatal("delay did not stop when the client gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.DelayAll("", 0)
	s.DelayAll("sendMessage", 0)
	start = time.Now()
	if _, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1", "text": "y"}); err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("delay not removed: %v %v", err, time.Since(start))
	}
}

func TestWebhook(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 20*time.Second)

	// a pending long poll is terminated by setWebhook
	done := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		done <- err
	}()
	// Pending: past its checks (a call merely arrived could still meet the
	// webhook's own 409).
	for deadline := time.Now().Add(10 * time.Second); s.Polling() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long poll never started")
		}
	}

	_, err := bot.MakeRequest("setWebhook", tgbotapi.Params{
		"url": "https://bot.example.org/tg", "secret_token": "s3cr-et_", "max_connections": "10",
		"allowed_updates": `["message","callback_query"]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if e := apiErr(t, <-done); e.Code != 409 || e.Message != "Conflict: terminated by setWebhook request" {
		t.Fatalf("terminated poll: %+v", e)
	}
	u, secret, maxConn, allowed, set := s.WebhookInfo()
	if u != "https://bot.example.org/tg" || secret != "s3cr-et_" || maxConn != 10 || !slices.Equal(allowed, []string{"message", "callback_query"}) || !set {
		t.Fatalf("WebhookInfo %q %q %d %v %v", u, secret, maxConn, allowed, set)
	}

	_, err = bot.GetUpdates(tgbotapi.UpdateConfig{})
	if e := apiErr(t, err); e.Code != 409 || e.Message != "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" {
		t.Fatalf("getUpdates with webhook: %+v", e)
	}

	s.PushText(1, "pending")
	info, err := bot.GetWebhookInfo()
	if err != nil || info.URL != u || info.PendingUpdateCount != 1 || info.MaxConnections != 10 || !info.IsSet() {
		t.Fatalf("GetWebhookInfo %v %+v", err, info)
	}

	_, err = bot.MakeRequest("setWebhook", tgbotapi.Params{"url": u, "secret_token": "bad/secret+="})
	if e := apiErr(t, err); e.Code != 400 {
		t.Fatalf("bad secret: %+v", e)
	}

	resp, err := bot.Request(tgbotapi.DeleteWebhookConfig{})
	if err != nil || resp.Description != "Webhook was deleted" {
		t.Fatalf("deleteWebhook %v %+v", err, resp)
	}
	if _, _, _, _, set := s.WebhookInfo(); set {
		t.Fatal("still set")
	}
	if ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil || len(ups) != 1 {
		t.Fatalf("after delete: %v %d", err, len(ups))
	}
	info, _ = bot.GetWebhookInfo()
	if info.URL != "" || info.IsSet() {
		t.Fatalf("info after delete %+v", info)
	}

	// drop_pending_updates
	s.PushText(1, "x")
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{DropPendingUpdates: true}); err != nil || len(s.Unconfirmed()) != 0 {
		t.Fatalf("drop pending: %v %v", err, s.Unconfirmed())
	}
}

func TestDeliver(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)

	var mu sync.Mutex
	var got []tgbotapi.Update
	status := http.StatusOK
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "sekret" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		u, err := bot.HandleUpdate(r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, *u)
		w.WriteHeader(status)
	}))
	defer recv.Close()

	if _, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": recv.URL, "secret_token": "sekret"}); err != nil {
		t.Fatal(err)
	}
	u, secret, _, _, _ := s.WebhookInfo()

	id := s.PushText(30, "/help")
	code, err := s.Deliver(u, secret, id)
	if err != nil || code != 200 {
		t.Fatalf("Deliver %d %v", code, err)
	}
	mu.Lock()
	if len(got) != 1 || got[0].UpdateID != int(id) || got[0].Message.Command() != "help" {
		t.Fatalf("received %+v", got)
	}
	mu.Unlock()
	if len(s.Unconfirmed()) != 0 {
		t.Fatalf("2xx must confirm: %v", s.Unconfirmed())
	}

	if code, _ := s.Deliver(u, "wrong", id); code != http.StatusForbidden {
		t.Fatalf("wrong secret: %d", code)
	}
	if code, _ := s.Deliver(u, "", id); code != http.StatusForbidden {
		t.Fatalf("no secret: %d", code)
	}

	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	id2 := s.PushText(30, "again")
	if code, err := s.Deliver(u, secret, id2); err != nil || code != 500 {
		t.Fatalf("Deliver %d %v", code, err)
	}
	if got := s.Unconfirmed(); !slices.Equal(got, []int64{id2}) {
		t.Fatalf("failed delivery must stay queued: %v", got)
	}
	info, _ := bot.GetWebhookInfo()
	if !strings.Contains(info.LastErrorMessage, "500") || info.LastErrorDate == 0 {
		t.Fatalf("last error %+v", info)
	}
	if _, err := s.Deliver(u, secret, 999); err == nil {
		t.Fatal("unknown update")
	}
}

func TestEditsAndCallbacks(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("OK", "ok")))
	msg := tgbotapi.NewMessage(50, "question")
	msg.ReplyMarkup = kb
	m, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}

	// edit returns the Message like the real API, so Send works
	e := tgbotapi.NewEditMessageText(50, m.MessageID, "question")
	e.ReplyMarkup = &kb
	if _, err := bot.Send(e); err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("same content: %v", err)
	}
	e.Text = "answered"
	edited, err := bot.Send(e)
	if err != nil || edited.Text != "answered" || edited.EditDate == 0 || edited.ReplyMarkup == nil {
		t.Fatalf("edit: %v %+v", err, edited)
	}
	cur, ok := s.Message(50, m.MessageID)
	if !ok || cur.Text != "answered" || len(cur.Keyboard) != 1 {
		t.Fatalf("current %+v", cur)
	}
	if s.Sent(50)[0].Text != "question" {
		t.Fatal("Sent must keep the original")
	}

	// editing text without reply_markup removes the keyboard
	if _, err := bot.Request(tgbotapi.NewEditMessageText(50, m.MessageID, "done")); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.Message(50, m.MessageID); cur.Keyboard != nil || cur.Text != "done" {
		t.Fatalf("keyboard must be gone: %+v", cur)
	}
	// markup edits
	if _, err := bot.Request(tgbotapi.NewEditMessageReplyMarkup(50, m.MessageID, kb)); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Request(tgbotapi.NewEditMessageReplyMarkup(50, m.MessageID, kb)); err == nil {
		t.Fatal("same markup must be 'not modified'")
	}
	if cur, _ := s.Message(50, m.MessageID); len(cur.Keyboard) != 1 || cur.Text != "done" {
		t.Fatalf("markup edit: %+v", cur)
	}

	if _, err := bot.Request(tgbotapi.NewCallback("4000001", "收到")); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Request(tgbotapi.NewChatAction(50, tgbotapi.ChatTyping)); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Request(tgbotapi.NewChatAction(50, "dancing")); err == nil {
		t.Fatal("bad action accepted")
	}
	if c := s.Calls("answerCallbackQuery"); len(c) != 1 || c[0].Params.Get("text") != "收到" {
		t.Fatalf("calls %+v", c)
	}
}

func TestValidation(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	send := func(text, mode string) error {
		m := tgbotapi.NewMessage(60, text)
		m.ParseMode = mode
		_, err := bot.Send(m)
		return err
	}
	for _, c := range []struct {
		text, mode, errPart string
	}{
		{"<b>bold</b> &amp; <a href=\"https://x.org/?a=1&b=2\">link</a>", "HTML", ""},
		{"<b>bold", "HTML", `can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"1 < 2", "HTML", `Unsupported start tag "" at byte offset 2`},
		{"line<br>break", "HTML", `Unsupported start tag "br"`},
		{"<b><i>x</b></i>", "HTML", "Unmatched end tag"},
		{"*bold* and \\. `code.` ```\npre.!\n```", "MarkdownV2", ""},
		{"version 1.2", "MarkdownV2", `Character '.' is reserved`},
		{"[link](https://x.org/a.b)", "MarkdownV2", ""},
		{"`open", "MarkdownV2", "Can't find end of Code entity"},
		{"x", "Fancy", "unsupported parse_mode"},
		{"   ", "", "message text is empty"},
		{"<b></b>", "HTML", "message text is empty"},
		{strings.Repeat("字", MaxTextLength), "", ""},
		{strings.Repeat("字", MaxTextLength+1), "", "message is too long"},
		{strings.Repeat("😀", MaxTextLength/2+1), "", "message is too long"}, // UTF-16 units
		{"<b>" + strings.Repeat("x", MaxTextLength) + "</b>", "HTML", ""},
	} {
		err := send(c.text, c.mode)
		if c.errPart == "" {
			if err != nil {
				t.Errorf("%.40q (%s): %v", c.text, c.mode, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.errPart) {
			t.Errorf("%.40q (%s): got %v, want %q", c.text, c.mode, err, c.errPart)
		} else if e := apiErr(t, err); e.Code != 400 || !strings.HasPrefix(e.Message, "Bad Request: ") {
			t.Errorf("%+v", e)
		}
	}

	mk := func(markup string) error {
		_, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "60", "text": "k", "reply_markup": markup})
		return err
	}
	long := strings.Repeat("x", MaxCallbackData+1)
	for markup, want := range map[string]string{
		`{"inline_keyboard":[[{"text":"a","callback_data":"` + long + `"}]]}`: "BUTTON_DATA_INVALID",
		`{"inline_keyboard":[[{"text":"a","callback_data":""}]]}`:             "BUTTON_DATA_INVALID",
		`{"inline_keyboard":[[{"text":"a"}]]}`:                                "Text buttons are unallowed",
		`{"inline_keyboard":{}}`:                                              "must be an Array",
		`{nope`:                                                               "can't parse reply keyboard markup",
		`{"keyboard":[[{"text":"reply"}]],"resize_keyboard":true}`:            "",
		`{"remove_keyboard":true}`:                                            "",
	} {
		err := mk(markup)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", markup, err, want)
		}
	}

	if _, err := bot.MakeRequest("sendMessage", tgbotapi.Params{"text": "no chat"}); err == nil || err.Error() != "Bad Request: chat_id is empty" {
		t.Errorf("no chat: %v", err)
	}
	s.SetBlocked(61, true)
	_, err := bot.Send(tgbotapi.NewMessage(61, "hi"))
	if e := apiErr(t, err); e.Code != 403 || e.Message != "Forbidden: bot was blocked by the user" {
		t.Errorf("blocked %+v", e)
	}
	s.SetBlocked(61, false)
	if _, err := bot.Send(tgbotapi.NewMessage(61, "hi")); err != nil {
		t.Error(err)
	}

	// commands
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "start", Description: "开始"}, tgbotapi.BotCommand{Command: "help", Description: "帮助"})); err != nil {
		t.Fatal(err)
	}
	var cmds []tgbotapi.BotCommand
	if err := json.Unmarshal([]byte(s.Calls("setMyCommands")[0].Params.Get("commands")), &cmds); err != nil || len(cmds) != 2 || cmds[1].Command != "help" {
		t.Fatalf("commands %v %+v", err, cmds)
	}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Start", Description: "x"})); err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Fatalf("uppercase command: %v", err)
	}
}

func TestDocumentsAndFiles(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	data := []byte("报告内容\x00binary")
	doc := tgbotapi.NewDocument(70, tgbotapi.FileBytes{Name: "report.txt", Bytes: data})
	doc.Caption = "<b>周报</b>"
	doc.ParseMode = "HTML"
	m, err := bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	if m.Document == nil || m.Document.FileName != "report.txt" || m.Document.FileSize != len(data) || m.Caption != doc.Caption {
		t.Fatalf("message %+v %+v", m, m.Document)
	}
	sent := s.WaitSent(t, 70, 1)
	if !bytes.Equal(sent[0].Document, data) || sent[0].DocumentName != "report.txt" || sent[0].Text != doc.Caption || sent[0].ParseMode != "HTML" {
		t.Fatalf("sent %+v", sent[0])
	}
	c := s.Calls("sendDocument")[0]
	if !bytes.Equal(c.Files["document"], data) || c.FileNames["document"] != "report.txt" || c.Params.Get("chat_id") != "70" {
		t.Fatalf("call %+v", c)
	}

	_, err = bot.Send(tgbotapi.NewDocument(70, tgbotapi.FileBytes{Name: "empty.txt", Bytes: nil}))
	if err == nil || !strings.Contains(err.Error(), "file must be non-empty") {
		t.Fatalf("empty upload: %v", err)
	}
	// by file_id (no upload)
	s.AddFile("F1", []byte("hello"))
	if _, err := bot.Send(tgbotapi.NewDocument(70, tgbotapi.FileID("F1"))); err != nil {
		t.Fatal(err)
	}
	if got := s.Sent(70); len(got) != 2 || string(got[1].Document) != "hello" {
		t.Fatalf("by id %+v", got)
	}

	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: "F1"})
	if err != nil || f.FilePath != "documents/F1" || f.FileSize != 5 || f.FileUniqueID == "" {
		t.Fatalf("GetFile %v %+v", err, f)
	}
	if link := f.Link(token); !strings.HasPrefix(link, "https://api.telegram.org/file/bot") {
		t.Fatalf("library now honours the endpoint in File.Link: %s (update the package comment)", link)
	}
	get := func(tok, path string) (int, string) {
		r, err := http.Get(fmt.Sprintf(s.FileEndpoint(), tok, path))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := get(token, f.FilePath); code != 200 || body != "hello" {
		t.Fatalf("download %d %q", code, body)
	}
	if code, _ := get("1:wrong", f.FilePath); code != 401 {
		t.Fatalf("wrong token download %d", code)
	}
	if code, _ := get(token, "documents/nope"); code != 404 {
		t.Fatalf("unknown download %d", code)
	}
	if c := s.Calls("file"); len(c) != 3 || c[0].Params.Get("file_path") != "documents/F1" {
		t.Fatalf("file calls %+v", c)
	}
	// the uploaded document is downloadable too
	if _, err := bot.GetFile(tgbotapi.FileConfig{FileID: m.Document.FileID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.GetFile(tgbotapi.FileConfig{FileID: "missing"}); err == nil || !strings.Contains(err.Error(), "invalid file_id") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestOtherEncodings(t *testing.T) {
	s := New(t, token)
	post := func(ct, body string) (int, string) {
		r, err := http.Post(fmt.Sprintf(s.APIEndpoint(), token, "sendMessage"), ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := post("application/json", `{"chat_id":80,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}}`); code != 200 {
		t.Fatalf("json %d %s", code, body)
	}
	if code, body := post("application/json", `{bad`); code != 400 {
		t.Fatalf("bad json %d %s", code, body)
	}
	r, err := http.Get(fmt.Sprintf(s.APIEndpoint(), token, "sendMessage") + "?" + url.Values{"chat_id": {"80"}, "text": {"query"}}.Encode())
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("GET %v %v", err, r)
	}
	r.Body.Close()
	sent := s.Sent(80)
	if len(sent) != 2 || sent[0].Keyboard[0][0].CallbackData != "b" || sent[1].Text != "query" {
		t.Fatalf("sent %+v", sent)
	}
	if p := s.Calls("sendMessage")[0].Params; p.Get("chat_id") != "80" || !strings.HasPrefix(p.Get("reply_markup"), "{") {
		t.Fatalf("params as strings: %v", p)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 10*time.Second)
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			m, err := bot.Send(tgbotapi.NewMessage(90, "m"+strconv.Itoa(i)))
			if err != nil {
				t.Error(err)
				return
			}
			ids <- m.MessageID
		})
		wg.Go(func() { s.PushText(91, "u"); _ = s.Calls(""); _ = s.Unconfirmed() })
	}
	poller := make(chan int)
	go func() {
		seen, offset := 0, 0
		for seen < n {
			ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 5})
			if err != nil {
				t.Error(err)
				break
			}
			for _, u := range ups {
				offset = u.UpdateID + 1
				seen++
			}
		}
		poller <- seen
	}()
	wg.Wait()
	close(ids)
	uniq := map[int]bool{}
	for id := range ids {
		uniq[id] = true
	}
	if len(uniq) != n || len(s.WaitSent(t, 90, n)) != n {
		t.Fatalf("ids %d", len(uniq))
	}
	if seen := <-poller; seen != n {
		t.Fatalf("poller saw %d", seen)
	}
}

// stubTB records Fatalf instead of failing the real test.
type stubTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (s *stubTB) Helper() {}
func (s *stubTB) Fatalf(format string, args ...any) {
	s.mu.Lock()
	s.msg = fmt.Sprintf(format, args...)
	s.mu.Unlock()
	runtime.Goexit()
}

func TestWaitTimeoutFails(t *testing.T) {
	s := New(t, token)
	bot := newBot(t, s, 5*time.Second)
	if _, err := bot.Send(tgbotapi.NewMessage(100, "only one")); err != nil {
		t.Fatal(err)
	}
	s.SetWaitTimeout(200 * time.Millisecond)
	for _, wait := range []func(testing.TB){
		func(tb testing.TB) { s.WaitSent(tb, 100, 2) },
		func(tb testing.TB) { s.WaitCalls(tb, "sendDocument", 1) },
		func(tb testing.TB) { s.WaitConfirmed(tb, s.PushText(100, "x")) },
	} {
		stub := &stubTB{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); wait(stub) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("wait did not time out")
		}
		stub.mu.Lock()
		msg := stub.msg
		stub.mu.Unlock()
		if !strings.Contains(msg, "timed out") {
			t.Fatalf("message %q", msg)
		}
		t.Log(msg)
	}

	// and a wait that is satisfied later returns
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = bot.Send(tgbotapi.NewMessage(100, "two"))
	}()
	s.SetWaitTimeout(5 * time.Second)
	if got := s.WaitSent(t, 100, 2); got[1].Text != "two" {
		t.Fatalf("%+v", got)
	}
}

// TestLight checks the fake of a load test: it answers as before and counts
// (Tally, OnSent), keeps an update until it is confirmed and a message's
// keyboard for edits, and keeps nothing else.
func TestLight(t *testing.T) {
	s := New(t, token)
	s.Light()
	bot := newBot(t, s, 5*time.Second)
	var onSent []string
	s.OnSent(func(m Sent, _ time.Time) { onSent = append(onSent, m.Text) })

	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("好", "x")))
	msg := tgbotapi.NewMessage(40, "你好")
	msg.ReplyMarkup = kb
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Request(tgbotapi.NewEditMessageReplyMarkup(40, sent.MessageID, kb)); err == nil || !strings.Contains(err.Error(), "not modified") {
		t.Fatalf("an edit to the same keyboard: %v, want message is not modified", err)
	}
	if !slices.Equal(onSent, []string{"你好"}) {
		t.Fatalf("OnSent saw %q", onSent)
	}
	if got := s.Tally()["sendMessage"][200]; got != 1 {
		t.Fatalf("tally of sendMessage: %d", got)
	}
	if calls, msgs := s.Calls(""), s.Sent(40); len(calls) != 0 || len(msgs) != 0 {
		t.Fatalf("a Light fake keeps %d calls and %d messages", len(calls), len(msgs))
	}
	if m, ok := s.Message(40, sent.MessageID); !ok || m.Text != "" || len(m.Keyboard) != 1 {
		t.Fatalf("kept message %+v %v: want its keyboard only", m, ok)
	}

	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	id := s.PushText(40, "again")
	if s.Update(id) == nil {
		t.Fatal("an update not delivered yet is gone")
	}
	if code, err := s.Deliver(recv.URL, "", id); err != nil || code != 200 {
		t.Fatalf("Deliver %d %v", code, err)
	}
	if s.Update(id) != nil {
		t.Fatal("a Light fake keeps a confirmed update")
	}
}
