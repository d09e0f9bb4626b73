package facts

import (
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"
)

// Go's regexp has no prefilter for patterns that start with an alternation
// (联系|通知|转告…): an unanchored search tries a match at every position
// and its backtracker clears state in proportion to the rest of the text,
// ~0.7 ms per screenshot for the shipped rules. A matcher knows the literal
// prefixes every match starts with and tries the anchored pattern, on a
// window as long as its longest match, only where one of them occurs. The
// result is the same leftmost-first match.

// maxPrefixes bounds the prefix set; a pattern that may start in more ways
// (., \p{Han}) is searched the ordinary way.
const maxPrefixes = 256

type matcher struct {
	re       *regexp.Regexp       // unanchored: the fallback
	anchored *regexp.Regexp       // ^(?:…): tried at candidate positions
	starts   map[rune][]string    // literal prefixes by first rune; nil: no prefilter
	window   int                  // bytes given to anchored: longest match + one rune; 0: the rest
	_        struct{ noCopy int } // matchers are shared by pointer
}

func newMatcher(expr string) (*matcher, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	m := &matcher{re: re}
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return m, nil
	}
	parsed = parsed.Simplify()
	set, _, ok := prefixes(parsed)
	if !ok || len(set) == 0 {
		return m, nil
	}
	starts := map[rune][]string{}
	for _, p := range set {
		if p == "" {
			return m, nil // may match anywhere: nothing to filter on
		}
		r, _ := utf8.DecodeRuneInString(p)
		starts[r] = append(starts[r], p)
	}
	m.starts = starts
	m.anchored = regexp.MustCompile(`^(?:` + expr + `)`)
	// A window one rune longer than the longest match: $ and \b cannot
	// match at its edge, since no match reaches it.
	if n := maxRunes(parsed); n >= 0 && n < 1<<16 {
		m.window = (n + 1) * utf8.UTFMax
	}
	return m, nil
}

// prefixes returns strings one of which starts every match of re. exact:
// every match is exactly one of them. ok=false: no such finite set, or re
// starts with an assertion (^, \b) that an anchored match on a suffix of
// the text would read differently.
func prefixes(re *syntax.Regexp) (set []string, exact, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false, false
		}
		return []string{string(re.Rune)}, true, true
	case syntax.OpCharClass:
		n := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > maxPrefixes {
				return nil, false, false
			}
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set = append(set, string(r))
			}
		}
		return set, true, true
	case syntax.OpCapture:
		return prefixes(re.Sub[0])
	case syntax.OpQuest:
		set, exact, ok = prefixes(re.Sub[0])
		return append(set, ""), exact, ok
	case syntax.OpStar:
		set, _, ok = prefixes(re.Sub[0])
		return append(set, ""), false, ok
	case syntax.OpPlus:
		set, _, ok = prefixes(re.Sub[0])
		return set, false, ok
	case syntax.OpRepeat:
		set, _, ok = prefixes(re.Sub[0])
		if re.Min == 0 {
			set = append(set, "")
		}
		return set, false, ok
	case syntax.OpAlternate:
		exact = true
		for _, sub := range re.Sub {
			s, e, o := prefixes(sub)
			if !o || len(set)+len(s) > maxPrefixes {
				return nil, false, false
			}
			set, exact = append(set, s...), exact && e
		}
		return set, exact, true
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range re.Sub {
			s, e, o := prefixes(sub)
			if !o || len(acc)*len(s) > maxPrefixes {
				// acc came from exact parts only: still prefixes.
				return acc, false, len(acc) > 1 || acc[0] != ""
			}
			next := make([]string, 0, len(acc)*len(s))
			for _, a := range acc {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			acc = next
			if !e {
				return acc, false, true
			}
		}
		return acc, true, true
	}
	// OpAnyChar, OpAnyCharNotNL and the assertions.
	return nil, false, false
}

// maxRunes is the most characters a match of re can span, or -1 when
// unbounded.
func maxRunes(re *syntax.Regexp) int {
	const unbounded = -1
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxRunes(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return unbounded
	case syntax.OpRepeat:
		n := maxRunes(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return unbounded
		}
		return n * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := maxRunes(sub)
			if n < 0 {
				return unbounded
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total
	}
	return 0 // empty matches and assertions
}

// A patternSet scans a text once for the patterns of all rules: at each
// character it tries only the patterns whose literal prefixes start with it.
type patternSet struct {
	rules    int
	byRune   map[rune][]patternRef
	fallback []patternRef // patterns without a prefilter
}

type patternRef struct {
	rule, pattern int
	m             *matcher
}

// patternHit is one match of pattern of a rule at s[start:end].
type patternHit struct{ start, end, pattern int }

func newPatternSet(rules [][]*matcher) *patternSet {
	ps := &patternSet{rules: len(rules), byRune: map[rune][]patternRef{}}
	for ri, ms := range rules {
		for pi, m := range ms {
			ref := patternRef{ri, pi, m}
			if m.starts == nil {
				ps.fallback = append(ps.fallback, ref)
				continue
			}
			for r := range m.starts {
				ps.byRune[r] = append(ps.byRune[r], ref)
			}
		}
	}
	return ps
}

// scan returns the matches of every rule in s, by rule: for each pattern its
// leftmost-first, non-overlapping matches.
func (ps *patternSet) scan(s string) [][]patternHit {
	out := make([][]patternHit, ps.rules)
	next := map[[2]int]int{} // rule, pattern -> where its next match may start
	for pos, r := range s {
		for _, ref := range ps.byRune[r] {
			key := [2]int{ref.rule, ref.pattern}
			if pos < next[key] {
				continue
			}
			if end, ok := ref.m.matchAt(s, pos, r); ok {
				out[ref.rule] = append(out[ref.rule], patternHit{pos, end, ref.pattern})
				next[key] = max(end, pos+1)
			}
		}
	}
	for _, ref := range ps.fallback {
		for _, loc := range ref.m.re.FindAllStringIndex(s, -1) {
			out[ref.rule] = append(out[ref.rule], patternHit{loc[0], loc[1], ref.pattern})
		}
	}
	return out
}

// matchAt tries m anchored at s[pos:], whose first rune is r, and returns
// the end of the match.
func (m *matcher) matchAt(s string, pos int, r rune) (int, bool) {
	rest := s[pos:]
	hit := false
	for _, l := range m.starts[r] {
		if strings.HasPrefix(rest, l) {
			hit = true
			break
		}
	}
	if !hit {
		return 0, false
	}
	if m.window > 0 && len(rest) > m.window {
		rest = rest[:m.window]
	}
	loc := m.anchored.FindStringIndex(rest)
	if loc == nil {
		return 0, false
	}
	return pos + loc[1], true
}

// choose orders a rule's matches, leftmost first (an earlier pattern wins a
// tie), and keeps those that do not overlap one already kept.
func choose(hits []patternHit) [][]int {
	sort.Slice(hits, func(a, b int) bool {
		if hits[a].start != hits[b].start {
			return hits[a].start < hits[b].start
		}
		return hits[a].pattern < hits[b].pattern
	})
	var out [][]int
	end := 0
	for _, h := range hits {
		if len(out) > 0 && h.start < end {
			continue
		}
		out = append(out, []int{h.start, h.end})
		end = max(h.end, h.start+1)
	}
	return out
}
