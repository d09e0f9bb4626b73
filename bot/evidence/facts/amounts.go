package facts

import (
	"math/big"
	"regexp"
	"strings"
)

// amountRe: ¥8,650.00, 8650元, 8650 块, 1.2万元.
var amountRe = regexp.MustCompile(`([¥￥])[ \t]*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?|(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?[ \t]*(万元|万|元|块钱|块)`)

// amounts finds sums of money in normalized text s, as "8650元", in order of
// appearance, without duplicates.
func amounts(text string) []string {
	var out []string
	seen := map[string]bool{}
	// Amounts never span lines; matching line by line keeps the regexp
	// engine's work proportional to the line.
	for _, s := range strings.Split(text, "\n") {
		if !strings.ContainsAny(s, "元块万¥￥") {
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

func lineAmounts(s string) []string {
	var out []string
	for _, m := range amountRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && (isDigit(s[m[0]-1]) || s[m[0]-1] == '.' || s[m[0]-1] == ',') {
			continue // the tail of a longer number
		}
		sub := func(k int) string { return group(s, m, k) }
		num, frac, unit := sub(2), sub(3), ""
		if num == "" {
			num, frac, unit = sub(4), sub(5), sub(6)
		}
		num = strings.ReplaceAll(num, ",", "")
		if len(num)+len(frac) > 16 {
			continue // not a sum anyone owes
		}
		v, ok := new(big.Rat).SetString(num + frac)
		if !ok {
			continue
		}
		if strings.HasPrefix(unit, "万") {
			v.Mul(v, big.NewRat(10000, 1))
		}
		var txt string
		if v.IsInt() {
			txt = v.Num().String()
		} else {
			txt = strings.TrimRight(strings.TrimRight(v.FloatString(2), "0"), ".")
		}
		out = append(out, txt+"元")
	}
	return out
}
