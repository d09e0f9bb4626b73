package flow

import (
	"fmt"
	"regexp"
	"strings"
)

// Template is message text with {{var}} and {{var|default}} placeholders.
// It is parsed once at load time and rendered by plain substitution: a
// person's answer is inserted as literal text and never read as a template.
type Template struct {
	Source string
	parts  []part
	Line   int // first line of the text in its file
}

type part struct {
	text     string // literal text, or
	name     string // a variable name
	fallback string
	hasFall  bool
}

var varName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ParseTemplate parses text; the error names what is wrong.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{Source: src}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("stray %q without an opening {{", "}}")
			}
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			if strings.Contains(rest[:i], "}}") {
				return nil, fmt.Errorf("stray %q without an opening {{", "}}")
			}
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ near %q", clip(rest, 20))
		}
		inner := rest[:j]
		rest = rest[j+2:]
		name, fallback, hasFall := strings.Cut(inner, "|")
		name = strings.TrimSpace(name)
		if !varName.MatchString(name) {
			return nil, fmt.Errorf("bad variable name %q in {{%s}}: use lowercase letters, digits and _", name, inner)
		}
		t.parts = append(t.parts, part{name: name, fallback: strings.TrimSpace(fallback), hasFall: hasFall})
	}
}

// Vars lists the variables the template needs assigned (those without a default).
func (t *Template) Vars() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" && !p.hasFall {
			out = append(out, p.name)
		}
	}
	return out
}

// AllVars lists every variable the template mentions.
func (t *Template) AllVars() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out
}

// Render substitutes vars; an unset or empty value takes the default.
func (t *Template) Render(vars map[string]string) string {
	if len(t.parts) == 1 && t.parts[0].name == "" {
		return t.parts[0].text
	}
	var b strings.Builder
	b.Grow(len(t.Source))
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		if v := vars[p.name]; v != "" {
			b.WriteString(v)
		} else {
			b.WriteString(p.fallback)
		}
	}
	return b.String()
}

// usesAny reports whether the template reads one of the names.
func (t *Template) usesAny(names map[string]string) bool {
	for _, p := range t.parts {
		if _, ok := names[p.name]; ok && p.name != "" {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
