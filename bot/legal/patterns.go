package legal

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// patternSet matches many regular expressions against short texts quickly.
// Each pattern's top-level alternatives are compiled on their own, with
// the literals one of which any match must contain; a text is scanned once
// for those literals, and only alternatives whose literal occurs are run.
// (One alternation of hundreds of branches runs in Go's slowest engine.)
type patternSet struct {
	index  map[rune][]literalRef // by the first rune of a required literal
	always []int                 // branches with no required literal: always run
	res    []*regexp.Regexp
}

type literalRef struct {
	branch int
	lit    string
}

// newPatternSet compiles the expressions; they must already be valid.
func newPatternSet(exprs []string) *patternSet {
	ps := &patternSet{index: map[rune][]literalRef{}}
	for _, expr := range exprs {
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			continue
		}
		branches := []*syntax.Regexp{re}
		if re.Op == syntax.OpAlternate {
			branches = re.Sub
		}
		for _, b := range branches {
			i := len(ps.res)
			ps.res = append(ps.res, regexp.MustCompile(b.String()))
			lits := requiredLits(b)
			if lits == nil {
				ps.always = append(ps.always, i)
				continue
			}
			for _, l := range lits {
				r, _ := utf8.DecodeRuneInString(l)
				ps.index[r] = append(ps.index[r], literalRef{i, l})
			}
		}
	}
	return ps
}

// MatchString reports whether any pattern matches s.
func (ps *patternSet) MatchString(s string) bool {
	if ps == nil {
		return false
	}
	for _, i := range ps.always {
		if ps.res[i].MatchString(s) {
			return true
		}
	}
	var tried map[int]bool
	for pos, r := range s {
		for _, ref := range ps.index[r] {
			if tried[ref.branch] || !strings.HasPrefix(s[pos:], ref.lit) {
				continue
			}
			if tried == nil {
				tried = map[int]bool{}
			}
			tried[ref.branch] = true
			if ps.res[ref.branch].MatchString(s) {
				return true
			}
		}
	}
	return false
}

// requiredLits returns literals one of which every match of re contains, or
// nil when there is no such short list.
func requiredLits(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLits(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLits(re.Sub[0])
		}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 16 {
				return nil
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l := requiredLits(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	case syntax.OpConcat:
		// Any child's literals do; the longest shortest literal filters best.
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			l := requiredLits(sub)
			if l == nil {
				continue
			}
			shortest := len(l[0])
			for _, s := range l {
				shortest = min(shortest, len(s))
			}
			if shortest > bestLen {
				best, bestLen = l, shortest
			}
		}
		return best
	}
	return nil
}
