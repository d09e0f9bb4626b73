package telegram

import (
	"net/url"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestFormBodyIsURLEncoding(t *testing.T) {
	p := tgbotapi.Params{"chat_id": "-100123", "text": "你好 <b>a&b=c</b>\n~._-+%", "reply_markup": `{"inline_keyboard":[[{"text":"好","callback_data":"a1:0"}]]}`}
	got, err := url.ParseQuery(string(formBody(p)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p {
		if got.Get(k) != v || len(got[k]) != 1 {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(p) {
		t.Errorf("got %d params, want %d", len(got), len(p))
	}
	if len(formBody(tgbotapi.Params{})) != 0 {
		t.Error("no params: want an empty body")
	}
}

func FuzzAppendQueryEscape(f *testing.F) {
	for _, s := range []string{"", "abc", "你好 世界", "a+b&c=d%", "\x00\xff~._-", "<b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Fatalf("appendQueryEscape(%q) = %q, url.QueryEscape: %q", s, got, want)
		}
	})
}

func TestQuickResult(t *testing.T) {
	for _, tc := range []struct {
		answer string
		want   int // message id read; -1: not read quickly (decoded in full)
	}{
		{`{"ok":true,"result":{"message_id":42,"from":{"id":1}}}`, 42},
		{`{"ok":true,"result":{"message_id":7}}`, 7},
		{`{"ok":true,"result":{"from":{"id":1},"message_id":42}}`, -1}, // laid out otherwise
		{`{"ok":true,"result":{"message_id":42`, -1},                   // no end to the number
		{`{"ok":true,"result":{"message_id":"42",`, -1},
		{`{"ok":true,"result":{"message_id":99999999999999999999999,`, -1},
		{`{"ok":false,"error_code":400,"description":"Bad Request"}`, -1},
		{`{"ok": true,"result":{"message_id":42,`, -1},
	} {
		var m sentMessage
		ok := quickResult([]byte(tc.answer), &m)
		if got := map[bool]int{true: m.MessageID, false: -1}[ok]; got != tc.want {
			t.Errorf("%s: read %d (quick %v), want %d", tc.answer, m.MessageID, ok, tc.want)
		}
	}
	if !quickResult([]byte(`{"ok":true,"result":true}`), nil) {
		t.Error("a success whose result nobody reads must not be decoded")
	}
	for _, answer := range []string{`{"ok":false,"error_code":429}`, `<html>`, ``, `{"result":true,"ok":true}`} {
		if quickResult([]byte(answer), nil) {
			t.Errorf("%q taken for a success without decoding it", answer)
		}
	}
	var other struct{ FilePath string }
	if quickResult([]byte(`{"ok":true,"result":{"file_path":"x"}}`), &other) {
		t.Error("a result the caller reads must be decoded")
	}
	if !strings.HasPrefix(string(okMessage), string(okAnswer)) {
		t.Error("okMessage must begin as every success does")
	}
}
