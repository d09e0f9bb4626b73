package facts

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// timePart is an optional time after a date on the same line: "09:21",
// "下午2:05", "下午 14:05:33" (seconds are dropped).
const timePart = `(?:[ \t]*(上午|下午|中午|晚上|凌晨|早上|早晨|傍晚|夜里|夜间|晚间)?[ \t]*(\d{1,2}):(\d{2})(?::\d{2})?)?`

var (
	// 2024年3月15日, 3月15日 (the year from ref), each with an optional time.
	cnDateRe = regexp.MustCompile(`(?:((?:19|20)\d{2})[ \t]*年[ \t]*)?(\d{1,2})[ \t]*月[ \t]*(\d{1,2})[ \t]*[日号]` + timePart)
	// 2024-03-15, 2024/3/15, 2024.3.15, each with an optional time.
	numDateRe = regexp.MustCompile(`((?:19|20)\d{2})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|\.(\d{1,2})\.(\d{1,2}))` + timePart)
	// 昨天 21:13 (chat headers) or a line that is only 昨天 (call logs; OCR
	// may add one stray character before it).
	relDateRe = regexp.MustCompile(`(昨天|今天|前天|昨日|今日)` + timePart)
)

var relDays = map[string]int{"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2}

type dateHit struct {
	pos, end int // where the date was written
	val      string
}

// dates finds the dates of normalized text s in order of appearance,
// without duplicates. Dates without a year and relative words need ref;
// with a zero ref only absolute dates are kept.
func dates(text string, ref time.Time) []string {
	if !ref.IsZero() {
		// 今天 and 昨天 in a screenshot mean Beijing's day, whatever the
		// server's clock zone: between 0:00 and 8:00 UTC is another day.
		ref = ref.In(beijing)
	}
	// Dates are matched line by line, which keeps the regexp engine's work
	// proportional to the line; a date that a chat bubble wrapped across two
	// lines ("2024-10-2" / "0，") is read from the two lines' ends.
	type line struct{ off, end int }
	var lines []line
	for off := 0; off < len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += off
		}
		lines = append(lines, line{off, end})
		off = end + 1
	}
	var hits []dateHit
	var carried *dateHit // a date wrapped onto this line, read with the line before
	for i, l := range lines {
		s := text[l.off:l.end]
		var wrapped *dateHit
		if i+1 < len(lines) {
			next := lines[i+1]
			wrapped = wrappedDate(s, text[next.off:next.end], ref)
		}
		for _, h := range lineDates(s, ref) {
			if wrapped != nil && h.pos == wrapped.pos {
				continue // the date cut short by the line's end
			}
			if carried != nil && h.pos < carried.end {
				continue // the tail of the date carried over
			}
			hits = append(hits, dateHit{l.off + h.pos, l.off + h.end, h.val})
		}
		carried = nil
		if wrapped != nil {
			hits = append(hits, dateHit{l.off + wrapped.pos, lines[i+1].off + wrapped.end - len(s), wrapped.val})
			carried = &dateHit{end: wrapped.end - len(s)}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	var out []string
	seen := map[string]bool{}
	for _, h := range hits {
		if !seen[h.val] {
			seen[h.val] = true
			out = append(out, h.val)
		}
	}
	return out
}

// wrappedDate returns the date that starts on line s and continues at the
// start of line next, or nil. Its pos is in s, its end in s+next.
func wrappedDate(s, next string, ref time.Time) *dateHit {
	last, _ := utf8.DecodeLastRuneInString(s)
	first, _ := utf8.DecodeRuneInString(next)
	digit := func(r rune) bool { return r < utf8.RuneSelf && isDigit(byte(r)) }
	if !(digit(last) || strings.ContainsRune("年月-/.", last)) || !(digit(first) || strings.ContainsRune("月日号", first)) {
		return nil
	}
	for _, h := range lineDates(s+next, ref) {
		if h.pos < len(s) && h.end > len(s) {
			return &h
		}
	}
	return nil
}

// lineDates finds the dates of one line s.
func lineDates(s string, ref time.Time) []dateHit {
	var hits []dateHit
	taken := func(start, end int) bool { // the digits are part of a longer number
		return start > 0 && isDigit(s[start-1]) || end < len(s) && isDigit(s[end])
	}
	digits := strings.ContainsAny(s, "0123456789")
	var cn, num [][]int
	if digits && strings.Contains(s, "月") {
		cn = cnDateRe.FindAllStringSubmatchIndex(s, -1)
	}
	if digits && strings.ContainsAny(s, "-/.") {
		num = numDateRe.FindAllStringSubmatchIndex(s, -1)
	}
	for _, m := range cn {
		if taken(m[0], m[1]) {
			continue
		}
		sub := func(k int) string { return group(s, m, k) }
		year := 0
		if y := sub(1); y != "" {
			year, _ = strconv.Atoi(y)
		}
		month, _ := strconv.Atoi(sub(2))
		day, _ := strconv.Atoi(sub(3))
		if v, ok := dateValue(year, month, day, sub(4), sub(5), sub(6), ref); ok {
			hits = append(hits, dateHit{m[0], m[1], v})
		}
	}
	for _, m := range num {
		if taken(m[0], m[1]) {
			continue
		}
		sub := func(k int) string { return group(s, m, k) }
		year, _ := strconv.Atoi(sub(1))
		var ms, ds string
		for k := 2; k <= 6; k += 2 {
			if sub(k) != "" {
				ms, ds = sub(k), sub(k+1)
			}
		}
		month, _ := strconv.Atoi(ms)
		day, _ := strconv.Atoi(ds)
		if v, ok := dateValue(year, month, day, sub(8), sub(9), sub(10), ref); ok {
			hits = append(hits, dateHit{m[0], m[1], v})
		}
	}
	if !ref.IsZero() && strings.ContainsAny(s, "天日") {
		for _, m := range relDateRe.FindAllStringSubmatchIndex(s, -1) {
			if taken(m[0], m[1]) {
				continue
			}
			sub := func(k int) string { return group(s, m, k) }
			if sub(3) == "" && !aloneOnLine(s, m[0], m[1]) {
				continue // 今天必须还清: a word in a sentence, not a timestamp
			}
			if sub(3) != "" && utf8.RuneCountInString(strings.TrimSpace(s[m[1]:])) > 1 {
				// 请于今日18:00前还款: a deadline in a message, which means
				// the day the message was sent, not the day it was received.
				// A timestamp (昨天 21:13) ends its line.
				continue
			}
			d := ref.AddDate(0, 0, relDays[sub(1)])
			if v, ok := dateValue(d.Year(), int(d.Month()), d.Day(), sub(2), sub(3), sub(4), time.Time{}); ok {
				hits = append(hits, dateHit{m[0], m[1], v})
			}
		}
	}
	return hits
}

func group(s string, m []int, k int) string {
	if 2*k+1 >= len(m) || m[2*k] < 0 {
		return ""
	}
	return s[m[2*k]:m[2*k+1]]
}

// aloneOnLine: the match s[start:end] is all its line s holds, but for at
// most one stray character before it (OCR reads call-log icons as 上).
func aloneOnLine(s string, start, end int) bool {
	before := strings.TrimSpace(s[:start])
	return len(before) <= utf8.UTFMax && utf8.RuneCountInString(before) <= 1 && strings.TrimSpace(s[end:]) == ""
}

// dateValue formats a date and optional time; year 0 means "take it from
// ref": evidence shows the past, so it is the latest such date not after ref
// (a day of slack for time zones). A year is never put in the future.
func dateValue(year, month, day int, period, hh, mm string, ref time.Time) (string, bool) {
	if year == 0 {
		if ref.IsZero() {
			return "", false
		}
		year = ref.Year()
		d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		r := time.Date(ref.Year(), ref.Month(), ref.Day(), 0, 0, 0, 0, time.UTC)
		if d.After(r.AddDate(0, 0, 1)) {
			year--
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return "", false
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.Day() != day { // 2月30日
		return "", false
	}
	date := d.Format("2006-01-02")
	if hh == "" {
		return date, true
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	switch period {
	case "下午", "晚上", "傍晚", "夜里", "夜间", "晚间":
		if h < 12 {
			h += 12
		}
	case "中午":
		if h < 11 {
			h += 12
		}
	case "凌晨":
		if h == 12 {
			h = 0
		}
	}
	if h > 23 || m > 59 {
		return date, true // not a time: keep the date alone
	}
	return fmt.Sprintf("%s %02d:%02d", date, h, m), true
}

// beijing is China Standard Time (no daylight saving since 1991).
var beijing = time.FixedZone("CST", 8*3600)
