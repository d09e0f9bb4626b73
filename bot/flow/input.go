package flow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// halfWidth maps full-width digits and punctuation that phones often type to
// their ASCII forms, so "１３８－" reads like "138-".
var halfWidth = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"－", "-", "／", "/", "．", ".", "，", ",", "（", "(", "）", ")", "＋", "+", "　", " ",
)

var (
	mobileRe   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	landlineRe = regexp.MustCompile(`^0\d{9,11}$`)
	serviceRe  = regexp.MustCompile(`^(?:95\d{3,6}|96\d{3,6}|106\d{5,17}|[48]00\d{7})$`)
)

// checkAnswer validates a free-text answer for the ask and returns the value
// to store, or a message in Chinese telling the person what to send instead.
func checkAnswer(a *Ask, in string, now time.Time) (string, string) {
	switch a.Kind {
	case KindPhone:
		return normalizePhone(in)
	case KindDate:
		return normalizeDate(in, now, a.Approximate)
	case KindAmount:
		return normalizeAmount(in)
	case KindNumber:
		return normalizeNumber(in)
	}
	n := utf8.RuneCountInString(in)
	if a.Min > 0 && n < a.Min {
		return "", fmt.Sprintf("内容太短了，请至少写 %d 个字。", a.Min)
	}
	if a.Max > 0 && n > a.Max {
		return "", fmt.Sprintf("内容太长了，请不要超过 %d 个字。", a.Max)
	}
	if a.match != nil && !a.match(in) {
		return "", "格式不对，请按提示重新输入。"
	}
	return in, ""
}

func normalizePhone(in string) (string, string) {
	s := halfWidth.Replace(in)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, s)
	for _, p := range []string{"+86", "0086"} {
		s = strings.TrimPrefix(s, p)
	}
	if len(s) == 13 && strings.HasPrefix(s, "86") && mobileRe.MatchString(s[2:]) {
		s = s[2:]
	}
	switch {
	case mobileRe.MatchString(s), serviceRe.MatchString(s):
		return s, ""
	case landlineRe.MatchString(s):
		area := 4
		if s[1] == '1' || s[1] == '2' {
			area = 3
		}
		return s[:area] + "-" + s[area:], ""
	}
	return "", "这看起来不像电话号码。请发送 11 位手机号（如 13812345678）、带区号的座机（如 021-61234567）或 95/96/106 开头的号码。"
}

var amountRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)(万|千|k|K|w|W)?$`)

func normalizeAmount(in string) (string, string) {
	s := halfWidth.Replace(in)
	s = strings.NewReplacer(",", "", " ", "", "¥", "", "￥", "", "元", "", "块钱", "", "块", "", "人民币", "", "RMB", "", "rmb", "").Replace(s)
	g := amountRe.FindStringSubmatch(s)
	if g == nil {
		return "", "请只输入金额数字，例如 8650 或 1.5万。"
	}
	v, err := strconv.ParseFloat(g[1], 64)
	if err != nil {
		return "", "请只输入金额数字，例如 8650 或 1.5万。"
	}
	switch g[2] {
	case "万", "w", "W":
		v *= 10000
	case "千", "k", "K":
		v *= 1000
	}
	if v <= 0 || v >= 1e10 {
		return "", "这个金额看起来不对，请检查后重新输入。"
	}
	return strconv.FormatFloat(v, 'f', -1, 64), ""
}

var chineseDigits = map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

func normalizeNumber(in string) (string, string) {
	s := strings.TrimSpace(halfWidth.Replace(in))
	s = strings.TrimRight(s, "次个人天遍条通多")
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 1_000_000 {
		return strconv.Itoa(n), ""
	}
	if n, ok := smallChineseNumber(s); ok {
		return strconv.Itoa(n), ""
	}
	return "", "请输入一个数字，例如 3 或 10。"
}

// smallChineseNumber reads 零 to 九十九 (e.g. 三, 十二, 二十, 四十五).
func smallChineseNumber(s string) (int, bool) {
	r := []rune(s)
	switch {
	case len(r) == 1 && r[0] == '十':
		return 10, true
	case len(r) == 1:
		d, ok := chineseDigits[r[0]]
		return d, ok
	case len(r) == 2 && r[0] == '十':
		d, ok := chineseDigits[r[1]]
		return 10 + d, ok
	case len(r) == 2 && r[1] == '十':
		d, ok := chineseDigits[r[0]]
		return d * 10, ok
	case len(r) == 3 && r[1] == '十':
		a, ok1 := chineseDigits[r[0]]
		b, ok2 := chineseDigits[r[2]]
		return a*10 + b, ok1 && ok2
	}
	return 0, false
}
