// Package understand tells what a typed message is about: a small text
// classifier for Chinese, trained at load time on the example messages of
// the intents in flows/ and used by the engine for free text.
//
// It is pure Go, in process and deterministic: the same examples always give
// the same model and the same answers. Chinese has no spaces, so messages are
// read as overlapping character n-grams (no dictionary, no segmenter), after
// a normalisation that folds full-width forms, punctuation, digits and the
// spoken variants an author lists (咋 → 怎么).
package understand

import (
	"strings"
	"unicode"
)

// Normalizer folds the surface forms of a message that do not change its
// meaning. It is safe for concurrent use once built.
type Normalizer struct {
	variants *strings.Replacer // nil: none
}

// NewNormalizer returns a normalizer that also rewrites each variant (the
// map's key) to its standard form (the value), e.g. "咋" → "怎么". Longer
// variants win over shorter ones that overlap them.
func NewNormalizer(variants map[string]string) *Normalizer {
	if len(variants) == 0 {
		return &Normalizer{}
	}
	keys := make([]string, 0, len(variants))
	for k := range variants {
		keys = append(keys, k)
	}
	// strings.Replacer tries the arguments in order at each position: put
	// the longest first, then alphabetical, so the result is deterministic.
	sortByLengthThenText(keys)
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, variants[k])
	}
	return &Normalizer{variants: strings.NewReplacer(pairs...)}
}

// Normalize lowercases, maps full-width letters and digits to ASCII, drops
// spaces, punctuation and symbols, and applies the variants. Numbers say
// little about the topic (amounts, dates, phone numbers) and become a single
// '0', except the short service numbers people name (110, 12378, 12348):
// those say where they want to turn.
func (n *Normalizer) Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	digits := make([]byte, 0, 16)
	flush := func() {
		if len(digits) == 0 {
			return
		}
		if serviceNumber(digits) {
			b.Write(digits)
		} else {
			b.WriteByte('0')
		}
		digits = digits[:0]
	}
	for _, r := range s {
		r = fold(r)
		if r >= '0' && r <= '9' {
			digits = append(digits, byte(r))
			continue
		}
		flush()
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	flush()
	out := b.String()
	if n != nil && n.variants != nil {
		out = n.variants.Replace(out)
	}
	return out
}

// serviceNumber: 110, 120, 122 and the five-digit 12xxx public hotlines.
func serviceNumber(d []byte) bool {
	return len(d) == 3 && d[0] == '1' && (d[1] == '1' || d[1] == '2') ||
		len(d) == 5 && d[0] == '1' && d[1] == '2'
}

// fold maps full-width ASCII forms (Ａ, １, ！) and the ideographic space to
// their half-width forms.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

func sortByLengthThenText(keys []string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
