package flow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// beijing is China Standard Time (no daylight saving since 1991): 今天 and
// 昨天 mean Beijing's day, whatever zone the server's clock is in.
var beijing = time.FixedZone("CST", 8*3600)

// A date answer is saved with the precision it was given in:
//
//	2026-03-15        a day
//	2026-03           a month (去年10月, 2023年10月, 上个月)
//	2026-03 中旬      part of a month (10月中旬, 3月初, 上个月底)
//	2026              a year (去年)
//
// Drafts print them as 2026年3月15日, 2026年3月, 2026年3月中旬, 2026年.

var (
	ymdRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$`)
	mdRe  = regexp.MustCompile(`^(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*[日号]?$`)
	// approximate: [year] month [part]
	approxRe   = regexp.MustCompile(`^(?:(\d{4})\s*[年/.-]|(今年|去年|前年))?\s*([0-9]{1,2}|[一二三四五六七八九十]{1,2})\s*月份?\s*(上旬|中旬|下旬|初|底|末|中)?(?:左右|前后|的时候)?$`)
	relMonthRe = regexp.MustCompile(`^(上个?月|这个?月|本月)(上旬|中旬|下旬|初|底|末|中)?(?:左右|前后|的时候)?$`)
	ymRe       = regexp.MustCompile(`^(\d{4})\s*[/.-]\s*(\d{1,2})$`)
	yearRe     = regexp.MustCompile(`^(?:(\d{4})\s*年|(今年|去年|前年))(?:左右|的时候)?$`)
)

// monthParts are the parts of a month people name, as drafts write them.
var monthParts = map[string]string{"上旬": "上旬", "初": "上旬", "中旬": "中旬", "中": "中旬", "下旬": "下旬", "底": "下旬", "末": "下旬"}

const (
	msgBadDate      = "没看懂这个日期。请按 2026-03-15 或 3月15日 这样的格式输入，也可以写“今天”“昨天”。"
	msgBadDateApprx = "没看懂这个日期。可以写 2026-03-15、3月15日、2023年10月、去年10月、上个月、10月中旬，或者“今天”“昨天”。"
	msgNoSuchDate   = "这个日期不存在，请检查月份和日子。"
	msgFutureDate   = "日期不能晚于今天，请检查后重新输入。"
	msgEarlyDate    = "这个日期太早了，请检查年份。"
)

func normalizeDate(in string, now time.Time, approx bool) (string, string) {
	s := strings.TrimSpace(halfWidth.Replace(in))
	now = now.In(beijing)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, beijing)
	bad := msgBadDate
	if approx {
		bad = msgBadDateApprx
	}
	var d time.Time
	switch s {
	case "今天", "今日":
		d = today
	case "昨天", "昨日":
		d = today.AddDate(0, 0, -1)
	case "前天":
		d = today.AddDate(0, 0, -2)
	default:
		var y, m, day int
		if g := ymdRe.FindStringSubmatch(s); g != nil {
			y, _ = strconv.Atoi(g[1])
			m, _ = strconv.Atoi(g[2])
			day, _ = strconv.Atoi(g[3])
		} else if g := mdRe.FindStringSubmatch(s); g != nil {
			y = now.Year()
			m, _ = strconv.Atoi(g[1])
			day, _ = strconv.Atoi(g[2])
		} else if approx {
			return approximateDate(s, today, bad)
		} else {
			return "", bad
		}
		d = time.Date(y, time.Month(m), day, 0, 0, 0, 0, beijing)
		if d.Month() != time.Month(m) || d.Day() != day || m < 1 {
			return "", msgNoSuchDate
		}
		if g := mdRe.FindStringSubmatch(s); g != nil && d.After(today) {
			d = d.AddDate(-1, 0, 0) // "3月15日" said in February means last year
		}
	}
	if d.After(today) {
		return "", msgFutureDate
	}
	if d.Year() < 2000 {
		return "", msgEarlyDate
	}
	return d.Format(time.DateOnly), ""
}

// approximateDate reads a month, part of a month or year: 2023年10月,
// 去年10月, 10月中旬, 上个月底, 去年.
func approximateDate(s string, today time.Time, bad string) (string, string) {
	yearWord := func(digits, word string) (int, bool) {
		switch {
		case digits != "":
			y, _ := strconv.Atoi(digits)
			return y, true
		case word == "今年":
			return today.Year(), true
		case word == "去年":
			return today.Year() - 1, true
		case word == "前年":
			return today.Year() - 2, true
		}
		return 0, false
	}
	var y, m int
	part := ""
	if g := ymRe.FindStringSubmatch(s); g != nil {
		s = g[1] + "年" + g[2] + "月"
	}
	switch {
	case approxRe.MatchString(s):
		g := approxRe.FindStringSubmatch(s)
		var ok bool
		if m, ok = monthNumber(g[3]); !ok || m < 1 || m > 12 {
			return "", msgNoSuchDate
		}
		part = monthParts[g[4]]
		if y, ok = yearWord(g[1], g[2]); !ok {
			// A month alone is the latest one not in the future.
			y = today.Year()
			if m > int(today.Month()) {
				y--
			}
		}
	case relMonthRe.MatchString(s):
		g := relMonthRe.FindStringSubmatch(s)
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, beijing)
		if strings.HasPrefix(g[1], "上") {
			first = first.AddDate(0, -1, 0)
		}
		y, m, part = first.Year(), int(first.Month()), monthParts[g[2]]
	case yearRe.MatchString(s):
		g := yearRe.FindStringSubmatch(s)
		y, _ = yearWord(g[1], g[2])
		switch {
		case y > today.Year():
			return "", msgFutureDate
		case y < 2000:
			return "", msgEarlyDate
		}
		return strconv.Itoa(y), ""
	default:
		return "", bad
	}
	switch {
	case y > today.Year() || y == today.Year() && m > int(today.Month()):
		return "", msgFutureDate
	case y < 2000:
		return "", msgEarlyDate
	}
	v := fmt.Sprintf("%04d-%02d", y, m)
	if part != "" {
		v += " " + part
	}
	return v, ""
}

// monthNumber reads 10 or 十 or 十二.
func monthNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	return smallChineseNumber(s)
}

// dateOrder compares two saved date answers at the coarser precision of
// the two: -1, 0 or 1. 2026-01 and 2026-01-30 are equal (the same month).
func dateOrder(a, b string) int {
	a, _, _ = strings.Cut(a, " ")
	b, _, _ = strings.Cut(b, " ")
	n := min(len(a), len(b))
	return strings.Compare(a[:n], b[:n])
}

// ChineseDate prints a saved date answer as drafts write it:
// 2026年3月15日, 2026年3月, 2026年3月中旬 or 2026年; "" when it is none.
func ChineseDate(v string) string {
	day, part, _ := strings.Cut(strings.TrimSpace(v), " ")
	for _, layout := range []struct{ in, out string }{{time.DateOnly, "2006年1月2日"}, {"2006-01", "2006年1月"}, {"2006", "2006年"}} {
		if t, err := time.Parse(layout.in, day); err == nil {
			return t.Format(layout.out) + part
		}
	}
	return ""
}

// timeline refuses a date earlier than the one it must follow (a.After),
// naming both, so that a bare 1月30号 cannot put the overdue date after the
// harassment began without the person seeing it.
func (t *turn) timeline(a *Ask, value string) string {
	if a.Kind != KindDate || a.After == "" || value == "" {
		return ""
	}
	earlier := t.s.Vars[a.After]
	if earlier == "" || dateOrder(value, earlier) >= 0 {
		return ""
	}
	return fmt.Sprintf(msgTimeline, ChineseDate(value), ChineseDate(earlier))
}

const msgTimeline = "这个日期（%s）早于你前面填的日期（%s），前后对不上。请检查一下；如果是去年或更早，请写上年份，例如 2025年1月30日。"
