package telegram

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/domain"
)

func TestRenderEscapesAndMergesATurn(t *testing.T) {
	out := render([]domain.Reply{
		{Kind: domain.ReplySay, Text: "平台 <b>有钱花</b> & 你"},
		{Kind: domain.ReplyCitation, Text: "《中华人民共和国民法典》第一千零三十三条\n除法律另有规定……"},
		{Kind: domain.ReplySay, Text: "下一步？", Choices: []string{"好", "回到主菜单"}, Ref: "120"},
	}, MaxMessageLen)
	if len(out) != 1 {
		t.Fatalf("%d messages, want 1", len(out))
	}
	want := "平台 &lt;b&gt;有钱花&lt;/b&gt; &amp; 你\n\n<b>《中华人民共和国民法典》第一千零三十三条</b>\n除法律另有规定……\n\n下一步？"
	if out[0].HTML != want {
		t.Errorf("html = %q", out[0].HTML)
	}
	kb := out[0].Keyboard
	if kb == nil || len(kb.InlineKeyboard) != 2 || *kb.InlineKeyboard[1][0].CallbackData != "c:120:1" || kb.InlineKeyboard[1][0].Text != "回到主菜单" {
		t.Fatalf("keyboard = %+v", kb)
	}
}

// The crisis notice stands out as statutes and channels do: its first line
// is bold (the console and the web mark it 【重要】).
func TestRenderMarksTheCrisisNotice(t *testing.T) {
	out := render([]domain.Reply{
		{Kind: domain.ReplyCrisis, Text: "听到你这么说，我很担心你。\n全国心理援助热线：12356"},
		{Kind: domain.ReplySay, Text: "先别慌"},
	}, MaxMessageLen)
	want := "<b>听到你这么说，我很担心你。</b>\n全国心理援助热线：12356\n\n先别慌"
	if len(out) != 1 || out[0].HTML != want {
		t.Errorf("html = %q", out[0].HTML)
	}
}

func TestRenderSplitsLongTextAtParagraphs(t *testing.T) {
	para := strings.Repeat("很长的段落。", 300) // 1800 characters
	var replies []domain.Reply
	for range 5 {
		replies = append(replies, domain.Reply{Text: para})
	}
	replies[4].Choices, replies[4].Ref = []string{"好"}, "7"
	out := render(replies, MaxMessageLen)
	if len(out) != 3 {
		t.Fatalf("%d messages, want 3 (two paragraphs fit in one)", len(out))
	}
	for i, m := range out {
		if n := utf16Len(m.HTML); n > MaxMessageLen {
			t.Errorf("message %d is %d long", i, n)
		}
		if (m.Keyboard != nil) != (i == len(out)-1) {
			t.Errorf("keyboard on message %d", i)
		}
	}
	if !strings.HasPrefix(out[1].HTML, para) {
		t.Error("a paragraph was cut although it fits a message")
	}
}

func TestRenderSplitsOneHugeParagraph(t *testing.T) {
	line := strings.Repeat("字", 5000) + "\n" + strings.Repeat("😀", 3000) // emoji are 2 UTF-16 units
	out := render([]domain.Reply{{Kind: domain.ReplyCitation, Text: line}}, MaxMessageLen)
	total := 0
	for i, m := range out {
		if n := utf16Len(m.HTML) - len("<b></b>")*boolInt(i == 0); n > MaxMessageLen {
			t.Errorf("message %d is %d units", i, n)
		}
		if !utf8.ValidString(m.HTML) {
			t.Errorf("message %d cut inside a character", i)
		}
		total += utf8.RuneCountInString(strings.NewReplacer("<b>", "", "</b>", "").Replace(m.HTML))
	}
	if total != 8000 {
		t.Errorf("%d characters kept of 8000", total)
	}
	if !strings.HasPrefix(out[0].HTML, "<b>") || strings.Contains(out[1].HTML, "<b>") {
		t.Error("only the first piece of a heading paragraph is bold")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCallbackData(t *testing.T) {
	for _, ref := range []string{"1", "9999999999"} {
		for _, idx := range []int{0, 12} {
			data := callbackData(ref, idx)
			if len(data) > 64 {
				t.Errorf("%q is longer than 64 bytes", data)
			}
			gotRef, gotIdx, ok := parseCallback(data)
			if !ok || gotRef != ref || gotIdx != idx {
				t.Errorf("round trip of %q: %q %d %v", data, gotRef, gotIdx, ok)
			}
		}
	}
	for _, bad := range []string{"", "x:1:2", "c:", "c:1", "c:1:-1", "c::1", "c:1:x"} {
		if _, _, ok := parseCallback(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The keyboard written by hand reads as the library's own encoding does.
func TestKeyboardJSON(t *testing.T) {
	kb := keyboard("borrower.five_steps.120", []string{"从第一步开始", `a "quoted" \ label`, "tab\there"})
	var mine, lib any
	want, _ := json.Marshal(kb)
	if err := json.Unmarshal([]byte(keyboardJSON(kb)), &mine); err != nil {
		t.Fatalf("%s: %v", keyboardJSON(kb), err)
	}
	_ = json.Unmarshal(want, &lib)
	if !reflect.DeepEqual(mine, lib) {
		t.Errorf("got  %s\nwant %s", keyboardJSON(kb), want)
	}
}
