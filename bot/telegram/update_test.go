package telegram

import (
	"encoding/json"
	"testing"

	"github.com/anning-bot/anning/bot/domain"
)

func TestTranslate(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want func(incoming) bool
	}{
		{"private text", `{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"from":{"id":42},"text":"你好"}}`,
			func(in incoming) bool {
				return in.ChatID == 42 && in.Private && in.Event.Kind == domain.EventText && in.Event.Text == "你好" && in.Event.Seq == 5
			}},
		{"command", `{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"text":"/start relatives","entities":[{"type":"bot_command","offset":0,"length":6}]}}`,
			func(in incoming) bool { return in.Command && in.Event.Text == "/start relatives" }},
		{"group", `{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"supergroup"},"text":"hi"}}`,
			func(in incoming) bool { return in.ChatID == -100 && !in.Private }},
		{"button", `{"update_id":8,"callback_query":{"id":"cb1","from":{"id":42},"data":"c:17:2","message":{"message_id":9,"date":1,"chat":{"id":42,"type":"private"}}}}`,
			func(in incoming) bool {
				return in.CallbackID == "cb1" && in.MessageID == 9 && in.Event.Kind == domain.EventPick && in.Event.Ref == "17" && in.Event.Index == 2
			}},
		{"foreign button data", `{"update_id":9,"callback_query":{"id":"cb2","from":{"id":42},"data":"zzz","message":{"message_id":9,"date":1,"chat":{"id":42,"type":"private"}}}}`,
			func(in incoming) bool { return in.Event.Kind == domain.EventPick && in.Event.Index == -1 }},
		{"sticker", `{"update_id":10,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"sticker":{"file_id":"s","file_unique_id":"u","width":1,"height":1,"is_animated":false}}}`,
			func(in incoming) bool { return in.Event.Kind == domain.EventUnsupported }},
		{"photo: largest size", `{"update_id":11,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"caption":"催收短信","photo":[{"file_id":"small","file_unique_id":"a","width":90,"height":90},{"file_id":"big","file_unique_id":"b","width":1280,"height":2000,"file_size":300000}]}}`,
			func(in incoming) bool {
				a := in.Event.Attachment
				return in.Event.Kind == domain.EventAttachment && a.ID == "big" && a.Size == 300000 && a.Caption == "催收短信"
			}},
		{"inline query: not a chat", `{"update_id":12,"inline_query":{"id":"q","from":{"id":42},"query":"x","offset":""}}`,
			func(in incoming) bool { return in.ChatID == 0 }},
	}
	for _, tc := range cases {
		in, err := decodeUpdate(json.RawMessage(tc.raw))
		if err != nil || !tc.want(in) {
			t.Errorf("%s: %+v %v", tc.name, in, err)
		}
	}
	if _, err := decodeUpdate(json.RawMessage(`{"update_id":"x"}`)); err == nil {
		t.Error("malformed update decoded")
	}
}

// FuzzDecodeUpdate: no update, however malformed, may panic the decoder.
func FuzzDecodeUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"text":"你好"}}`))
	f.Add([]byte(`{"update_id":8,"callback_query":{"id":"cb1","data":"c:17:2","message":{"message_id":9,"chat":{"id":42,"type":"private"}}}}`))
	f.Add([]byte(`{"update_id":11,"message":{"chat":{"id":1,"type":"private"},"photo":[]}}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := decodeUpdate(data)
		if err == nil && in.Event.Kind == domain.EventAttachment && in.Event.Attachment == nil {
			t.Fatal("attachment event without attachment")
		}
	})
}

// A forwarded message is evidence, with its original date and sender, read
// from forward_origin (newer than the library) or the old forward_* fields.
func TestForwardedMessagesAreEvidence(t *testing.T) {
	newer := `{"update_id":20,"message":{"message_id":3,"date":1710900000,"chat":{"id":42,"type":"private"},
		"forward_origin":{"type":"hidden_user","date":1710469260,"sender_user_name":"催收-王经理"},
		"forward_date":1710469260,"forward_sender_name":"催收-王经理",
		"text":"【闪电贷】您的朋友张三借款已逾期，联系电话 13812345678"}}`
	in, err := decodeUpdate(json.RawMessage(newer))
	a := in.Event.Attachment
	if err != nil || in.Event.Kind != domain.EventAttachment || a == nil || a.Text == "" || a.ForwardDate != 1710469260 || a.ForwardFrom != "催收-王经理" || a.MessageDate != 1710900000 {
		t.Fatalf("forward_origin: %+v %+v %v", in, a, err)
	}
	old := `{"update_id":21,"message":{"message_id":4,"date":1710900000,"chat":{"id":42,"type":"private"},
		"forward_from":{"id":9,"is_bot":false,"first_name":"王","last_name":"经理"},"forward_date":1710469000,"text":"还钱"}}`
	in, _ = decodeUpdate(json.RawMessage(old))
	if a := in.Event.Attachment; a == nil || a.ForwardFrom != "王 经理" || a.ForwardDate != 1710469000 {
		t.Fatalf("forward_from: %+v", in)
	}
	photo := `{"update_id":22,"message":{"message_id":5,"date":1710900000,"chat":{"id":42,"type":"private"},"forward_date":1710460000,
		"photo":[{"file_id":"p","file_unique_id":"u","width":1,"height":1}]}}`
	in, _ = decodeUpdate(json.RawMessage(photo))
	if a := in.Event.Attachment; a == nil || a.ID != "p" || a.ForwardDate != 1710460000 {
		t.Fatalf("forwarded photo: %+v", in)
	}
}

func TestUpdateIDOf(t *testing.T) {
	for raw, want := range map[string]int64{
		`{"update_id":123456789,"message":{}}`: 123456789,
		`{"update_id":7}`:                      7,
		`{ "update_id": 8, "message": {} }`:    8, // not Telegram's spacing: decoded
		`{"message":{},"update_id":9}`:         9,
		`{"update_id":12x}`:                    0,
		`not json`:                             0,
	} {
		if got := updateIDOf(json.RawMessage(raw)); got != want {
			t.Errorf("%s: %d, want %d", raw, got, want)
		}
	}
}

// BenchmarkDecodeUpdate reads a typed message and a button press as
// Telegram sends them.
func BenchmarkDecodeUpdate(b *testing.B) {
	text := []byte(`{"update_id":912345678,"message":{"message_id":4711,"from":{"id":10000042,"is_bot":false,"first_name":"User10000042","language_code":"zh-hans"},"chat":{"id":10000042,"first_name":"User10000042","type":"private"},"date":1796175161,"text":"他们说要把我的照片发给所有同事，我该怎么办"}}`)
	press := []byte(`{"update_id":912345679,"callback_query":{"id":"4000123","from":{"id":10000042,"is_bot":false,"first_name":"User10000042"},"message":{"message_id":4712,"from":{"id":777,"is_bot":true,"first_name":"安宁","username":"AnNingTestBot"},"chat":{"id":10000042,"first_name":"User10000042","type":"private"},"date":1796175162,"text":"先别慌。你可以分五步来做：保存证据、要求停止骚扰、向平台投诉、向有关部门反映、必要时起诉。","reply_markup":{"inline_keyboard":[[{"text":"从第一步开始","callback_data":"c:borrower.five_steps.123450:0"}],[{"text":"我想先了解法律规定","callback_data":"c:borrower.five_steps.123450:1"}]]}},"chat_instance":"ci10000042","data":"c:borrower.five_steps.123450:0"}}`)
	for b.Loop() {
		if _, err := decodeUpdate(text); err != nil {
			b.Fatal(err)
		}
		if _, err := decodeUpdate(press); err != nil {
			b.Fatal(err)
		}
	}
}
