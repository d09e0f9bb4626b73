package diag

import (
	"errors"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// At returns the position of a YAML node in file.
func At(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// CheckKeys reports every key of the mapping n that is not in allowed, with a
// suggestion of the nearest allowed key.
func (l *List) CheckKeys(file string, n *yaml.Node, what string, allowed ...string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		if seen[key.Value] {
			l.Add(At(file, key), "keep one of them", "key %q appears twice in %s", key.Value, what)
		}
		seen[key.Value] = true
		known := false
		for _, a := range allowed {
			if key.Value == a {
				known = true
				break
			}
		}
		if !known {
			hint := Suggest(key.Value, allowed)
			if hint == "" {
				hint = "allowed keys: " + joinQuoted(allowed)
			}
			l.Add(At(file, key), hint, "unknown key %q in %s", key.Value, what)
		}
	}
}

func joinQuoted(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// AddYAMLError turns an error of gopkg.in/yaml.v3 into positioned problems.
func (l *List) AddYAMLError(file string, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			l.addLine(file, e)
		}
		return
	}
	l.addLine(file, err.Error())
}

func (l *List) addLine(file, msg string) {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		l.Add(Pos{File: file, Line: line}, "check the indentation and the value's type", "%s", m[2])
		return
	}
	l.Add(Pos{File: file}, "check the YAML syntax", "%s", msg)
}
