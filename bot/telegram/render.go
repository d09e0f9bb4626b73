package telegram

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/anning-bot/anning/bot/domain"
)

// MaxMessageLen is Telegram's limit on a message's text after entity
// parsing, in UTF-16 code units.
const MaxMessageLen = 4096

// outgoing is one sendMessage: HTML text and, on the last message of a turn,
// the keyboard of the question asked.
type outgoing struct {
	HTML     string
	Keyboard *tgbotapi.InlineKeyboardMarkup
	Labels   []string // the keyboard's labels, for the toast of a pressed button
}

// paragraph is plain text; a heading paragraph shows its first line in bold.
type paragraph struct {
	text    string
	heading bool
}

// render turns one turn's replies into as few messages as fit: Telegram lets
// a chat receive about one message per second, so a turn is usually one
// message. Every user-visible text is HTML-escaped; nothing from a flow or a
// person is ever read as markup.
func render(replies []domain.Reply, limit int) []outgoing {
	var paras []paragraph
	var choices []string
	ref := ""
	for _, r := range replies {
		// A statute, a channel and the crisis notice stand out (the console
		// and the web mark them 【法条】, 【渠道】, 【重要】).
		heading := r.Kind == domain.ReplyCitation || r.Kind == domain.ReplyChannel || r.Kind == domain.ReplyCrisis
		paras = append(paras, paragraph{text: r.Text, heading: heading})
		if len(r.Choices) > 0 {
			choices, ref = r.Choices, r.Ref
		}
	}
	var out []outgoing
	for _, chunk := range pack(paras, limit) {
		out = append(out, outgoing{HTML: toHTML(chunk)})
	}
	if len(out) > 0 && len(choices) > 0 {
		last := &out[len(out)-1]
		last.Keyboard = keyboard(ref, choices)
		last.Labels = choices
	}
	return out
}

func toHTML(paras []paragraph) string {
	parts := make([]string, len(paras))
	for i, p := range paras {
		if p.heading {
			first, rest, more := strings.Cut(p.text, "\n")
			parts[i] = "<b>" + html.EscapeString(first) + "</b>"
			if more {
				parts[i] += "\n" + html.EscapeString(rest)
			}
			continue
		}
		parts[i] = html.EscapeString(p.text)
	}
	return strings.Join(parts, "\n\n")
}

// pack groups paragraphs into messages of at most limit UTF-16 units of
// visible text, splitting an oversized paragraph at line breaks, then
// anywhere.
func pack(paras []paragraph, limit int) [][]paragraph {
	var (
		out  [][]paragraph
		cur  []paragraph
		size int
	)
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur, size = nil, 0
		}
	}
	for _, p := range paras {
		for _, piece := range splitLong(p, limit) {
			n := utf16Len(piece.text)
			sep := 0
			if len(cur) > 0 {
				sep = 2
			}
			if size+sep+n > limit {
				flush()
				sep = 0
			}
			cur = append(cur, piece)
			size += sep + n
		}
	}
	flush()
	return out
}

// splitLong cuts a paragraph longer than limit at line breaks, and a line
// longer than limit at the limit.
func splitLong(p paragraph, limit int) []paragraph {
	if utf16Len(p.text) <= limit {
		return []paragraph{p}
	}
	var out []paragraph
	var b strings.Builder
	size := 0
	emit := func() {
		if b.Len() > 0 {
			out = append(out, paragraph{text: b.String(), heading: p.heading && len(out) == 0})
			b.Reset()
			size = 0
		}
	}
	for _, line := range strings.SplitAfter(p.text, "\n") {
		for utf16Len(line) > limit {
			emit()
			head, tail := cutUTF16(line, limit)
			out = append(out, paragraph{text: head, heading: p.heading && len(out) == 0})
			line = tail
		}
		if size+utf16Len(line) > limit {
			emit()
		}
		b.WriteString(line)
		size += utf16Len(line)
	}
	emit()
	for i := range out {
		out[i].text = strings.TrimRight(out[i].text, "\n")
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cutUTF16 cuts s after at most n UTF-16 units, never inside a character.
func cutUTF16(s string, n int) (string, string) {
	size := 0
	for i, r := range s {
		if size+utf16.RuneLen(r) > n {
			return s[:i], s[i:]
		}
		size += utf16.RuneLen(r)
	}
	return s, ""
}

// Callback data: "c:REF:INDEX", well under Telegram's 64 bytes.
const callbackPrefix = "c:"

func keyboard(ref string, labels []string) *tgbotapi.InlineKeyboardMarkup {
	rows := make([][]tgbotapi.InlineKeyboardButton, len(labels))
	for i, l := range labels {
		rows[i] = tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l, callbackData(ref, i)))
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}

func callbackData(ref string, index int) string {
	return callbackPrefix + ref + ":" + strconv.Itoa(index)
}

// parseCallback reads callback data; ok is false for data this bot did not make.
func parseCallback(data string) (ref string, index int, ok bool) {
	rest, found := strings.CutPrefix(data, callbackPrefix)
	if !found {
		return "", 0, false
	}
	ref, idx, found := strings.Cut(rest, ":")
	i, err := strconv.Atoi(idx)
	if !found || err != nil || i < 0 || ref == "" {
		return "", 0, false
	}
	return ref, i, true
}

// keyboardJSON writes the reply_markup of a keyboard of callback buttons
// (all this bot makes) without reflection.
func keyboardJSON(kb *tgbotapi.InlineKeyboardMarkup) string {
	b := make([]byte, 0, 64*len(kb.InlineKeyboard)+32)
	b = append(b, `{"inline_keyboard":[`...)
	for i, row := range kb.InlineKeyboard {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, btn := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"text":`...)
			b = appendJSONString(b, btn.Text)
			if btn.CallbackData != nil {
				b = append(b, `,"callback_data":`...)
				b = appendJSONString(b, *btn.CallbackData)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return string(append(b, "]}"...))
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, the rest (UTF-8) as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
