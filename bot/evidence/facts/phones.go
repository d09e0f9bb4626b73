package facts

import (
	"strings"
	"unicode/utf8"
)

// The kinds of phone numbers.
const (
	KindMobile   = "mobile"   // 1[3-9] and 9 digits
	KindLandline = "landline" // 0xx-xxxxxxxx, 0xxx-xxxxxxx(x)
	KindService  = "service"  // 95xxx(x), 96xxx(x), 106… SMS gateways, 400/800
)

// maxPhoneDigits is the longest digit string that can be one number
// (a 20-digit 106 gateway number, plus a 0086 prefix).
const maxPhoneDigits = 24

// classify reads digits (nothing but 0-9) as one phone number.
func classify(d string) (Phone, bool) {
	switch {
	case len(d) == 15 && strings.HasPrefix(d, "0086") && isMobile(d[4:]):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86") && isMobile(d[2:]):
		d = d[2:]
	}
	n := len(d)
	switch {
	case n < 5:
		return Phone{}, false
	case isMobile(d):
		return Phone{Number: d, Kind: KindMobile}, true
	case d[0] == '0':
		// Three-digit area codes are 010 and 020-029 (their subscribers have
		// eight digits); all others have four digits and seven or eight.
		// Subscriber numbers never start with 0 or 1.
		if d[1] == '1' || d[1] == '2' {
			if n == 11 && (d[1] == '2' || d[2] == '0') && d[3] >= '2' {
				return Phone{Number: d[:3] + "-" + d[3:], Kind: KindLandline}, true
			}
			return Phone{}, false
		}
		if d[1] >= '3' && (n == 11 || n == 12) && d[4] >= '2' {
			return Phone{Number: d[:4] + "-" + d[4:], Kind: KindLandline}, true
		}
	case (n == 5 || n == 6) && (strings.HasPrefix(d, "95") || strings.HasPrefix(d, "96")):
		return Phone{Number: d, Kind: KindService}, true
	case n >= 8 && n <= 20 && strings.HasPrefix(d, "106"):
		return Phone{Number: d, Kind: KindService}, true
	case n == 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")):
		return Phone{Number: d, Kind: KindService}, true
	}
	return Phone{}, false
}

// Hotline tells a company's service number (95188, 400-…) from the numbers
// people and SMS gateways send from: a screenshot's hotline is most often
// the platform's customer service, not the collector, so it is never taken
// for the collector's number without the person saying so.
func (p Phone) Hotline() bool {
	return p.Kind == KindService && !strings.HasPrefix(p.Number, "106")
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// A digitGroup is a run of digits on one line, possibly with the separators
// people and OCR put inside numbers: one or two spaces, a dash, parentheses
// around an area code, a leading + or (. Spaces split it into chunks: a chunk may
// be a whole number or a piece of one ("138 1234 5678"), and two numbers may
// sit side by side ("021-61234567 17701234567").
type digitGroup struct {
	chunks  []string // digits only
	raw     []string // the chunk as written (with dashes), for date checks
	foreign []bool   // the chunk belongs to an amount, a date or a time
	line    int
	// lineStart and lineEnd: only spaces between the group and the line's
	// start or end, so the group may continue a wrapped number or be
	// continued by the next line.
	lineStart, lineEnd bool
}

// digitGroups finds the digit groups of normalized text s, in order.
func digitGroups(s string) []digitGroup {
	var groups []digitGroup
	line := 0
	lineBegin := 0
	lineEnd := strings.IndexByte(s, '\n')
	if lineEnd < 0 {
		lineEnd = len(s)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\n' {
			line++
			i++
			lineBegin = i
			if lineEnd = strings.IndexByte(s[i:], '\n'); lineEnd < 0 {
				lineEnd = len(s)
			} else {
				lineEnd += i
			}
			continue
		}
		lead := 0
		if (c == '+' || c == '(') && i+1 < len(s) && isDigit(s[i+1]) {
			lead = 1
		} else if !isDigit(c) {
			i++
			continue
		}
		start := i
		j := i + lead
		g := digitGroup{line: line}
		var digits, raw strings.Builder
		for {
			for j < len(s) && isDigit(s[j]) {
				digits.WriteByte(s[j])
				raw.WriteByte(s[j])
				j++
			}
			// A separator: up to two spaces, optionally a dash or the ')'
			// closing an area code, with at most one space after it, then
			// a digit. "(1) 138…" is a list item, not part of the number.
			k, spaces := j, 0
			for k < len(s) && s[k] == ' ' && spaces < 2 {
				k++
				spaces++
			}
			mark := false
			if k < len(s) && (s[k] == '-' || s[k] == ')' && isAreaCode(digits.String())) {
				mark = true
				k++
				if k < len(s) && s[k] == ' ' {
					k++
				}
			}
			if k == j || k >= len(s) || !isDigit(s[k]) {
				break
			}
			if !mark {
				g.chunks = append(g.chunks, digits.String())
				g.raw = append(g.raw, raw.String())
				digits.Reset()
				raw.Reset()
			} else {
				raw.WriteByte('-')
			}
			j = k
		}
		g.chunks = append(g.chunks, digits.String())
		g.raw = append(g.raw, raw.String())
		g.foreign = make([]bool, len(g.chunks))
		g.lineStart = strings.TrimLeft(s[lineBegin:start], " ") == ""
		g.lineEnd = strings.TrimRight(s[j:lineEnd], " ") == ""
		for ci, r := range g.raw {
			if isDateChunk(r) {
				g.foreign[ci] = true
			}
		}
		if foreignBefore(s[:start], len(g.chunks[0])) {
			g.foreign[0] = true
		}
		if foreignAfter(s[j:], len(g.chunks[len(g.chunks)-1])) {
			g.foreign[len(g.chunks)-1] = true
		}
		groups = append(groups, g)
		i = j
	}
	return groups
}

// isAreaCode: 010, 021, 0755 (as written in "(021) 61234567").
func isAreaCode(d string) bool {
	return (len(d) == 3 || len(d) == 4) && d[0] == '0'
}

// isDateChunk: 2024-03-15 written with dashes.
func isDateChunk(raw string) bool {
	p := strings.Split(raw, "-")
	return len(p) == 3 && len(p[0]) == 4 && (p[0][:2] == "19" || p[0][:2] == "20") &&
		len(p[1]) >= 1 && len(p[1]) <= 2 && len(p[2]) >= 1 && len(p[2]) <= 2
}

// units that make the number before them an amount, a date, a count.
const units = "元块万千百亿角年月日号点时分秒天周岁次笔期人个楼栋室层米倍折%"

// words that start with a unit character but follow phone numbers.
var notUnits = []string{"号码", "点击", "天天", "个人", "人员", "期间"}

// shortPart is the most digits a part of a time (09:21), a date (2024/3/15)
// or a sum with separators (13,800) has: next to ':', '/' or ',' a longer
// run is a number of its own (13812345678/13912345678).
const shortPart = 4

// foreignAfter: the text after a digit group (on the same line), whose last
// chunk has n digits, shows that the chunk is not part of a phone number.
func foreignAfter(after string, n int) bool {
	after = strings.TrimLeft(after, " ")
	if after == "" {
		return false
	}
	r, size := utf8.DecodeRuneInString(after)
	switch r {
	case '.':
		return len(after) > size && isDigit(after[size])
	case ':', '/', ',':
		return n <= shortPart && len(after) > size && isDigit(after[size])
	}
	if !strings.ContainsRune(units, r) {
		return false
	}
	for _, w := range notUnits {
		if strings.HasPrefix(after, w) {
			return false
		}
	}
	return true
}

// foreignBefore: the text before a digit group, whose first chunk has n
// digits, shows that the chunk is not part of a phone number (the minutes
// of 09:21, the cents of 1.50, an amount after ¥).
func foreignBefore(before string, n int) bool {
	before = strings.TrimRight(before, " ")
	if before == "" {
		return false
	}
	r, size := utf8.DecodeLastRuneInString(before)
	rest := before[:len(before)-size]
	afterDigit := rest != "" && isDigit(rest[len(rest)-1])
	switch r {
	case '¥', '￥', '$':
		return true
	case '.':
		return afterDigit
	case ':', '/', ',':
		return n <= shortPart && afterDigit
	}
	return false
}

// segments splits a group's chunks at foreign chunks. openStart and openEnd
// tell whether the first and last segment touch the group's ends.
func (g digitGroup) segments() (segs [][]string, openStart, openEnd bool) {
	var cur []string
	for i, c := range g.chunks {
		if g.foreign[i] {
			if cur != nil {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, c)
	}
	if cur != nil {
		segs = append(segs, cur)
	}
	return segs, !g.foreign[0], !g.foreign[len(g.foreign)-1]
}

// partition reads a segment as a sequence of whole phone numbers, each made
// of one or more consecutive chunks, using as few numbers as possible. It
// returns nil unless every chunk belongs to a number: digits that are not a
// phone (a bank card, an ID number) never give one.
func partition(seg []string) []Phone {
	n := len(seg)
	if n == 0 {
		return nil
	}
	const inf = 1 << 30
	best := make([]int, n+1) // numbers needed for seg[i:]
	next := make([]int, n+1)
	phone := make([]Phone, n+1)
	for i := n - 1; i >= 0; i-- {
		best[i] = inf
		d := ""
		for j := i; j < n; j++ {
			d += seg[j]
			if len(d) > maxPhoneDigits {
				break
			}
			if best[j+1] == inf {
				continue
			}
			if p, ok := classify(d); ok && best[j+1]+1 < best[i] {
				best[i], next[i], phone[i] = best[j+1]+1, j+1, p
			}
		}
	}
	if best[0] == inf {
		return nil
	}
	out := make([]Phone, 0, best[0])
	for i := 0; i < n; i = next[i] {
		out = append(out, phone[i])
	}
	return out
}

// phones finds the phone numbers of normalized text s in order of first
// appearance, joining numbers wrapped across lines: a group at the end of a
// line is joined with the group at the start of the next line (one blank
// line may lie between) only when it is not a number by itself and the two
// together are.
func phones(s string) []Phone {
	groups := digitGroups(s)
	var out []Phone
	seen := map[string]bool{}
	emit := func(seg []string) {
		for _, p := range partition(seg) {
			if !seen[p.Number] {
				seen[p.Number] = true
				out = append(out, p)
			}
		}
	}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(groups); {
		segs, _, openEnd := groups[i].segments()
		cur := groups[i]
		j := i + 1
		for ; j < len(groups) && len(segs) > 0 && openEnd && cur.lineEnd && groups[j].lineStart &&
			nextLine(lines, cur.line, groups[j].line); j++ {
			bsegs, bOpenStart, bOpenEnd := groups[j].segments()
			if len(bsegs) == 0 || !bOpenStart {
				break
			}
			a, b := segs[len(segs)-1], bsegs[0]
			if partition(a) != nil {
				break
			}
			merged := make([]string, 0, len(a)+len(b)-1)
			merged = append(merged, a[:len(a)-1]...)
			merged = append(merged, a[len(a)-1]+b[0])
			merged = append(merged, b[1:]...)
			if partition(merged) == nil {
				break
			}
			segs = append(append(segs[:len(segs)-1:len(segs)-1], merged), bsegs[1:]...)
			cur, openEnd = groups[j], bOpenEnd
		}
		for _, seg := range segs {
			emit(seg)
		}
		i = j
	}
	return out
}

// nextLine: line b follows line a, directly or after one blank line.
func nextLine(lines []string, a, b int) bool {
	return b == a+1 || b == a+2 && strings.TrimSpace(lines[a+1]) == ""
}
