package facts

import (
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// amountRe: ¥8,650.00, 8650元, 8650 块, 1.2万元; OCR reads ¥ as Y.
var amountRe = regexp.MustCompile(`([¥￥Y])[ \t]*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?|(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?[ \t]*(万元|万|元|块钱|块)`)

// bareSumRe: a sum written without unit after a word that announces one,
// as bills write them or as OCR leaves them when it drops the ¥ ("合计欠款
// 12,500.00"): only with a thousands separator or two decimals, so that a
// count or a phone number is never taken.
var bareSumRe = regexp.MustCompile(`(?:金额|欠款|还款|本金|利息|罚息|合计|共计|总计|应还|待还|余额)[:：]?[ \t]*(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+\.\d{2})`)

// wrappedSumRe: a number at the end of a line whose unit, or the rest of
// whose digits and the unit, a chat bubble wrapped onto the next line
// ("本金5,000.00" / "元", "合计3,2" / "80.50元").
var wrappedSumRe = regexp.MustCompile(`(\d[\d,.]*)[ \t]*\n[ \t]*(\d[\d,.]*)?[ \t]*(万元|万|元|块钱|块)`)

// sumWords come before a sum: a number wrapped across lines after them is
// one number.
var sumWords = []string{"金额", "欠款", "还款", "本金", "利息", "罚息", "合计", "共计", "总计", "应还", "待还", "欠", "还", "借", "款", "额", "¥", "￥"}

// joinWrappedSums joins the sums of normalized text that a line break cuts.
func joinWrappedSums(text string) string {
	locs := wrappedSumRe.FindAllStringSubmatchIndex(text, -1)
	if locs == nil {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range locs {
		num, more, unit := text[m[2]:m[3]], group(text, m, 2), text[m[6]:m[7]]
		before := text[:m[2]]
		prev, _ := utf8.DecodeLastRuneInString(before)
		switch {
		case prev == ':' || prev == '/' || prev == '-' || prev == '.':
			continue // a time, a date, a phone: not a sum
		case unit == "元" && startsAny(text[m[1]:], "旦", "宵", "月"):
			continue // 元旦
		case more != "" && !strings.HasSuffix(num, ",") && !strings.HasSuffix(num, ".") && !endsAny(before, sumWords...):
			continue // "10:30" / "12元": two numbers
		}
		b.WriteString(text[last:m[0]])
		for _, c := range text[m[0]:m[1]] {
			if c != '\n' && c != ' ' && c != '\t' {
				b.WriteRune(c)
			}
		}
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

func startsAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func endsAny(s string, suffixes ...string) bool {
	for _, p := range suffixes {
		if strings.HasSuffix(s, p) {
			return true
		}
	}
	return false
}

// amounts finds sums of money in normalized text s, as "8650元", in order of
// appearance, without duplicates.
func amounts(text string) []string {
	if strings.Contains(text, "\n") && strings.ContainsAny(text, "元块万") {
		text = joinWrappedSums(text)
	}
	var out []string
	seen := map[string]bool{}
	// Amounts never span lines; matching line by line keeps the regexp
	// engine's work proportional to the line.
	for _, s := range strings.Split(text, "\n") {
		if !strings.ContainsAny(s, "元块万¥￥Y额款金息计还") {
			continue
		}
		for _, txt := range lineAmounts(s) {
			if !seen[txt] {
				seen[txt] = true
				out = append(out, txt)
			}
		}
	}
	return out
}

// lineAmounts finds the sums of one line s in order of appearance.
func lineAmounts(s string) []string {
	type sum struct {
		pos int
		txt string
	}
	var sums []sum
	for _, m := range amountRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && (isDigit(s[m[0]-1]) || s[m[0]-1] == '.' || s[m[0]-1] == ',') {
			continue // the tail of a longer number
		}
		sub := func(k int) string { return group(s, m, k) }
		num, frac, unit := sub(2), sub(3), ""
		if num == "" {
			num, frac, unit = sub(4), sub(5), sub(6)
		} else if sub(1) == "Y" && (m[0] > 0 && isASCIIAlnum(rune(s[m[0]-1])) || s[m[4]-1] != 'Y') {
			continue // a word with Y, or Y and a space: not a misread ¥
		}
		if len(frac) == 4 && len(num) <= 3 && !strings.HasPrefix(unit, "万") {
			// 2.600元: money has two decimals; OCR read the thousands
			// separator of 2,600 as a point.
			num, frac = num+frac[1:], ""
		}
		if txt, ok := sumText(num, frac, strings.HasPrefix(unit, "万")); ok {
			sums = append(sums, sum{m[0], txt})
		}
	}
	if strings.ContainsAny(s, "额款金息计还") {
		for _, m := range bareSumRe.FindAllStringSubmatchIndex(s, -1) {
			if m[1] < len(s) && (isDigit(s[m[1]]) || strings.ContainsRune(".,%", rune(s[m[1]]))) {
				continue // more digits follow: not the whole number
			}
			num, frac, _ := strings.Cut(s[m[2]:m[3]], ".")
			if frac != "" {
				frac = "." + frac
			}
			if txt, ok := sumText(num, frac, false); ok {
				sums = append(sums, sum{m[2], txt})
			}
		}
		sort.SliceStable(sums, func(i, j int) bool { return sums[i].pos < sums[j].pos })
	}
	out := make([]string, len(sums))
	for i, x := range sums {
		out[i] = x.txt
	}
	return out
}

// sumText writes the sum of the digits num (with thousands separators) and
// the fraction frac (".50" or ""), times 10000 for 万, as "8650.5元".
func sumText(num, frac string, wan bool) (string, bool) {
	num = strings.ReplaceAll(num, ",", "")
	if len(num)+len(frac) > 16 {
		return "", false // not a sum anyone owes
	}
	v, ok := new(big.Rat).SetString(num + frac)
	if !ok {
		return "", false
	}
	if wan {
		v.Mul(v, big.NewRat(10000, 1))
	}
	if v.IsInt() {
		return v.Num().String() + "元", true
	}
	return strings.TrimRight(strings.TrimRight(v.FloatString(2), "0"), ".") + "元", true
}
