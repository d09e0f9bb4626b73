package flow

import (
	"fmt"
	"strings"
)

// Cond is a branch condition. The grammar, kept small for authors:
//
//	cond := all { " or " all }
//	all  := term { " and " term }
//	term := name | "not " name | name " == " value | name " != " value
//
// A bare name is true when the variable has a non-empty value. Values may be
// quoted with "..." or written bare.
type Cond struct {
	Source string
	any    [][]term // or of ands
}

type term struct {
	name  string
	op    string // "set", "unset", "==", "!="
	value string
}

// ParseCond parses a condition.
func ParseCond(src string) (*Cond, error) {
	c := &Cond{Source: src}
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty condition")
	}
	for _, alt := range strings.Split(src, " or ") {
		var all []term
		for _, t := range strings.Split(alt, " and ") {
			tm, err := parseTerm(strings.TrimSpace(t))
			if err != nil {
				return nil, err
			}
			all = append(all, tm)
		}
		c.any = append(c.any, all)
	}
	return c, nil
}

func parseTerm(s string) (term, error) {
	for _, op := range []string{"==", "!="} {
		if name, value, ok := strings.Cut(s, op); ok {
			name = strings.TrimSpace(name)
			value = strings.TrimSpace(value)
			if value == "" {
				return term{}, fmt.Errorf("%q compares with nothing: write %s \"\" to test for empty", s, strings.TrimSpace(s))
			}
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			} else if strings.ContainsAny(value, "\" ") {
				return term{}, fmt.Errorf("value %q: quote it like \"value\"", value)
			}
			if !varName.MatchString(name) {
				return term{}, fmt.Errorf("bad variable name %q in %q", name, s)
			}
			return term{name: name, op: op, value: value}, nil
		}
	}
	if name, ok := strings.CutPrefix(s, "not "); ok {
		name = strings.TrimSpace(name)
		if !varName.MatchString(name) {
			return term{}, fmt.Errorf("bad variable name %q in %q", name, s)
		}
		return term{name: name, op: "unset"}, nil
	}
	if !varName.MatchString(s) {
		return term{}, fmt.Errorf("cannot read %q: write name, not name, name == value or name != value", s)
	}
	return term{name: s, op: "set"}, nil
}

// Eval evaluates the condition against the variables.
func (c *Cond) Eval(vars map[string]string) bool {
	for _, all := range c.any {
		ok := true
		for _, t := range all {
			if !t.eval(vars) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (t term) eval(vars map[string]string) bool {
	v := vars[t.name]
	switch t.op {
	case "set":
		return v != ""
	case "unset":
		return v == ""
	case "==":
		return v == t.value
	default:
		return v != t.value
	}
}

// Compared lists the variables the condition compares with a value: those
// must be assigned on every path. Presence tests (name, not name) need not.
func (c *Cond) Compared() []string {
	var out []string
	for _, all := range c.any {
		for _, t := range all {
			if t.op == "==" || t.op == "!=" {
				out = append(out, t.name)
			}
		}
	}
	return out
}

// Mentioned lists every variable the condition reads.
func (c *Cond) Mentioned() []string {
	var out []string
	for _, all := range c.any {
		for _, t := range all {
			out = append(out, t.name)
		}
	}
	return out
}

// UnsetTest reports whether the condition is exactly `not name`, and which
// name: the cases after it in a branch run only when name is set.
func (c *Cond) UnsetTest() (string, bool) {
	if len(c.any) == 1 && len(c.any[0]) == 1 && c.any[0][0].op == "unset" {
		return c.any[0][0].name, true
	}
	return "", false
}
