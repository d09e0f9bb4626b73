package facts

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// Go's regexp has no prefilter for patterns that start with an alternation
// (联系|通知|转告…), so an unanchored search tries a match at every position:
// ~0.7 ms per screenshot for the shipped rules. A matcher instead knows the
// characters a match can start with and tries the anchored pattern only
// where one of them occurs, with the same leftmost-first result.

// maxFirstSet bounds the starting characters a prefilter keeps; a pattern
// that may start with more (., \p{Han}) is searched the ordinary way.
const maxFirstSet = 512

type matcher struct {
	re       *regexp.Regexp // unanchored: the fallback
	anchored *regexp.Regexp // ^(?:…): tried at candidate positions
	first    map[rune]bool  // nil: no prefilter
	// window is how many bytes after a candidate position the anchored
	// pattern is given (its longest match plus one character, so that $
	// and \b cannot match at the window's edge); 0: all the rest. The
	// backtracking matcher clears state in proportion to its input, so a
	// short window keeps each try cheap.
	window int
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
	set := map[rune]bool{}
	if nullable, ok := firstRunes(parsed.Simplify(), set); ok && !nullable && len(set) > 0 {
		m.first = set
		m.anchored = regexp.MustCompile(`^(?:` + expr + `)`)
		if n := maxRunes(parsed.Simplify()); n >= 0 && n < 1<<16 {
			m.window = (n + 1) * utf8.UTFMax
		}
	}
	return m, nil
}

// firstRunes adds to set every rune a match of re can start with. It
// reports whether re can match the empty string, and ok=false when the set
// is unbounded or re holds assertions (^, $, \b) whose meaning an anchored
// match on a suffix would change.
func firstRunes(re *syntax.Regexp, set map[rune]bool) (nullable, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return true, true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true, true
		}
		r := re.Rune[0]
		set[r] = true
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				set[f] = true
			}
		}
		return false, len(set) <= maxFirstSet
	case syntax.OpCharClass:
		n := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > maxFirstSet {
				return false, false
			}
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set[r] = true
			}
		}
		return false, len(set) <= maxFirstSet
	case syntax.OpCapture:
		return firstRunes(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		_, ok := firstRunes(re.Sub[0], set)
		return true, ok
	case syntax.OpPlus:
		return firstRunes(re.Sub[0], set)
	case syntax.OpRepeat:
		n, ok := firstRunes(re.Sub[0], set)
		return n || re.Min == 0, ok
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			n, ok := firstRunes(sub, set)
			if !ok {
				return false, false
			}
			if !n {
				return false, true
			}
		}
		return true, true
	case syntax.OpAlternate:
		nullable := false
		for _, sub := range re.Sub {
			n, ok := firstRunes(sub, set)
			if !ok {
				return false, false
			}
			nullable = nullable || n
		}
		return nullable, true
	}
	// OpAnyChar, OpAnyCharNotNL, OpBeginLine, OpEndLine, OpBeginText,
	// OpEndText, OpWordBoundary, OpNoWordBoundary.
	return false, false
}

// find returns the leftmost-first, non-overlapping matches of m in s, at
// most limit of them (limit < 0: all).
func (m *matcher) find(s string, limit int) [][]int {
	if m.first == nil {
		return m.re.FindAllStringIndex(s, limit)
	}
	var out [][]int
	next := 0
	for pos, r := range s {
		if pos < next || !m.first[r] {
			continue
		}
		in := s[pos:]
		if m.window > 0 && len(in) > m.window {
			in = in[:m.window]
		}
		loc := m.anchored.FindStringIndex(in)
		if loc == nil {
			continue
		}
		out = append(out, []int{pos, pos + loc[1]})
		if limit >= 0 && len(out) >= limit {
			break
		}
		next = pos + max(loc[1], 1)
	}
	return out
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
