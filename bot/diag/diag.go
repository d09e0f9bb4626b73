// Package diag holds positioned problems found in flow and content files, so
// that authors get every mistake at once, each with file:line:column and a hint.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a source file; Line and Col start at 1 (0 means unknown).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Problem is one mistake in an author's file.
type Problem struct {
	Pos  Pos
	Msg  string
	Hint string
}

func (p Problem) String() string {
	s := p.Pos.String() + ": " + p.Msg
	if p.Hint != "" {
		s += " (hint: " + p.Hint + ")"
	}
	return s
}

// List collects problems; as an error it prints one problem per line.
type List []Problem

// Add records a problem.
func (l *List) Add(pos Pos, hint, format string, args ...any) {
	*l = append(*l, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Err returns the list sorted by position as an error, or nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	sorted := append(List(nil), l...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Pos, sorted[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return sorted
}

func (l List) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Suggest returns "did you mean X?" for the candidate closest to got, or "".
func Suggest(got string, candidates []string) string {
	best, bestDist := "", len(got)/2+2
	for _, c := range candidates {
		if d := distance(got, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// distance is the Levenshtein distance over runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
