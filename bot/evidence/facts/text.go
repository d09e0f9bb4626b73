package facts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxInput bounds the text Extract reads. Screenshots give a few kilobytes of
// OCR text and a Telegram message at most 4096 characters; the rest of a
// larger input is ignored.
const maxInput = 1 << 20

// normalize makes OCR and pasted text uniform without moving any character
// across a line: full-width digits, letters and number punctuation become
// ASCII, every kind of space becomes ' ', line ends become '\n', invisible
// characters are dropped. Chinese punctuation (，。【】) is kept.
func normalize(s string) string {
	if len(s) > maxInput {
		s = s[:maxInput] // a rune cut in two becomes U+FFFD below
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		case r >= 'Ａ' && r <= 'Ｚ':
			b.WriteByte(byte('A' + r - 'Ａ'))
		case r >= 'ａ' && r <= 'ｚ':
			b.WriteByte(byte('a' + r - 'ａ'))
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n':
			b.WriteByte('\n')
		case r == '－' || r == '‐' || r == '‑' || r == '‒' || r == '–' || r == '−':
			b.WriteByte('-')
		case r == '＋':
			b.WriteByte('+')
		case r == '：' || r == '∶':
			b.WriteByte(':')
		case r == '（':
			b.WriteByte('(')
		case r == '）':
			b.WriteByte(')')
		case r == '．':
			b.WriteByte('.')
		case r == '／':
			b.WriteByte('/')
		case r == '％':
			b.WriteByte('%')
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff':
			// invisible: drop
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// compact removes the line breaks and spaces that OCR and chat bubbles put
// inside Chinese sentences ("后果\n自负", "有 钱 花"), keeping one space only
// between two ASCII letters or digits. Conduct patterns and platform names
// are matched against this form.
func compact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	var prev rune
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\t' {
			pending = true
			continue
		}
		if pending && isASCIIAlnum(prev) && isASCIIAlnum(r) {
			b.WriteByte(' ')
		}
		pending = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// excerpt returns the part of s around s[start:end]: up to ctx runes on each
// side, not crossing a sentence end or the start of an SMS signature.
func excerpt(s string, start, end, ctx int) string {
	lo := start
	for n := 0; n < ctx && lo > 0; n++ {
		r, size := utf8.DecodeLastRuneInString(s[:lo])
		if strings.ContainsRune("。！？!?；;【", r) {
			break
		}
		lo -= size
	}
	hi := end
	for n := 0; n < ctx && hi < len(s); n++ {
		r, size := utf8.DecodeRuneInString(s[hi:])
		if r == '【' {
			break
		}
		hi += size
		if strings.ContainsRune("。！？!?；;", r) {
			break
		}
	}
	return strings.TrimSpace(s[lo:hi])
}
