package facts

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/diag"
)

// RulesFile is the rules file's name in the content folder.
const RulesFile = "evidence.yaml"

// statutesFile is read, when it sits beside the rules file, to check that
// every statute id a rule names exists and is current.
const statutesFile = "statutes.yaml"

// neverAutomatic are statutes the extractor must not claim on its own:
// 刑法第二百九十三条之一 needs an illegal debt (usury etc.), which a
// screenshot cannot show.
var neverAutomatic = map[string]string{
	"criminal-law-293-1": "it applies only to collecting illegal debts (usury etc.), which a screenshot cannot show",
}

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// LoadRules reads, compiles and validates the rules file name of fsys. All
// problems are reported at once, each as file:line:column (unknown keys,
// bad or empty-matching regexps, unknown or retired statute ids).
func LoadRules(fsys fs.FS, name string) (*Rules, error) {
	var probs diag.List
	file := name
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(file, err)
		return nil, rulesErr(file, probs)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		probs.Add(diag.Pos{File: file, Line: 1}, "start the file with `platforms:` and `conduct:`", "expected a mapping")
		return nil, rulesErr(file, probs)
	}
	root := doc.Content[0]
	probs.CheckKeys(file, root, "the file", "platforms", "conduct")

	statutes, err := readStatutes(fsys, path.Join(path.Dir(name), statutesFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		statutes = nil // rules read on their own: ids are checked for form only
	case err != nil:
		probs.Add(diag.Pos{File: file}, "fix "+statutesFile+" first", "cannot check statute ids: %v", err)
	}

	r := &Rules{}
	var compiled [][]*matcher // by rule, by pattern
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "platforms":
			r.loadPlatforms(file, val, &probs)
		case "conduct":
			r.loadConduct(file, val, statutes, &compiled, &probs)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, rulesErr(file, probs)
	}
	r.patterns = newPatternSet(compiled)
	return r, nil
}

func rulesErr(file string, probs diag.List) error {
	return fmt.Errorf("facts: %s has %d problem(s):\n%w", file, len(probs), probs.Err())
}

func (r *Rules) loadPlatforms(file string, n *yaml.Node, probs *diag.List) {
	if n.Kind != yaml.SequenceNode {
		probs.Add(diag.At(file, n), "write a list of names, one per `- ` line", "platforms must be a list")
		return
	}
	seen := map[string]bool{}
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" && item.Tag != "!!int" {
			probs.Add(diag.At(file, item), "write the name as plain text", "a platform must be a name")
			continue
		}
		name := compact(normalize(item.Value))
		switch {
		case runeLen(name) < 2:
			probs.Add(diag.At(file, item), "short names match ordinary words", "platform name %q is too short", item.Value)
		case seen[name]:
			probs.Add(diag.At(file, item), "keep one of them", "platform %q is listed twice", item.Value)
		default:
			seen[name] = true
			r.Platforms = append(r.Platforms, name)
		}
	}
}

func (r *Rules) loadConduct(file string, n *yaml.Node, statutes map[string]string, compiled *[][]*matcher, probs *diag.List) {
	if n.Kind != yaml.SequenceNode {
		probs.Add(diag.At(file, n), "write a list of rules, each starting with `- id:`", "conduct must be a list")
		return
	}
	ids := map[string]bool{}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			probs.Add(diag.At(file, item), "each rule has id, label, patterns, statutes", "a conduct rule must be a mapping")
			continue
		}
		probs.CheckKeys(file, item, "a conduct rule", "id", "label", "patterns", "statutes", "min_count")
		var rule ConductRule
		var raw struct {
			ID       string   `yaml:"id"`
			Label    string   `yaml:"label"`
			Patterns []string `yaml:"patterns"`
			Statutes []string `yaml:"statutes"`
			MinCount int      `yaml:"min_count"`
		}
		if err := item.Decode(&raw); err != nil {
			probs.AddYAMLError(file, err)
			continue
		}
		rule.ID, rule.Label, rule.Patterns, rule.Statutes, rule.MinCount = raw.ID, strings.TrimSpace(raw.Label), raw.Patterns, raw.Statutes, raw.MinCount
		pos := diag.At(file, item)
		switch {
		case !ruleIDPattern.MatchString(rule.ID):
			probs.Add(pos, "use lower-case letters, digits and dashes", "conduct rule id %q is not valid", rule.ID)
		case ids[rule.ID]:
			probs.Add(pos, "give each rule its own id", "duplicate conduct rule id %q", rule.ID)
		}
		ids[rule.ID] = true
		if rule.Label == "" {
			probs.Add(pos, "the person sees this label, e.g. 联系第三人", "conduct rule %q has no label", rule.ID)
		}
		if rule.MinCount < 0 {
			probs.Add(at(file, item, "min_count"), "leave it out for one match", "min_count must not be negative")
		}
		if len(rule.Patterns) == 0 {
			probs.Add(pos, "add at least one pattern", "conduct rule %q has no patterns", rule.ID)
		}
		var ms []*matcher
		for i, p := range rule.Patterns {
			ppos := listItem(file, item, "patterns", i)
			m, err := newMatcher(p)
			if err != nil {
				probs.Add(ppos, "patterns are Go regular expressions (RE2 syntax)", "bad pattern %q: %v", p, err)
				continue
			}
			if m.re.MatchString("") {
				probs.Add(ppos, "a pattern that matches nothing matches every text", "pattern %q matches the empty text", p)
				continue
			}
			ms = append(ms, m)
		}
		if len(rule.Statutes) == 0 {
			probs.Add(pos, "map the conduct to at least one statute id of "+statutesFile, "conduct rule %q names no statutes", rule.ID)
		}
		for i, id := range rule.Statutes {
			spos := listItem(file, item, "statutes", i)
			if why, ok := neverAutomatic[id]; ok {
				probs.Add(spos, "leave it to a person who knows the debt", "statute %q must not be mapped automatically: %s", id, why)
				continue
			}
			if statutes == nil {
				continue
			}
			status, ok := statutes[id]
			switch {
			case !ok:
				probs.Add(spos, diag.Suggest(id, keys(statutes)), "unknown statute id %q", id)
			case status != "current":
				probs.Add(spos, "cite the statute that replaced it", "statute %q is %s, not current", id, status)
			}
		}
		r.Conduct = append(r.Conduct, rule)
		*compiled = append(*compiled, ms)
	}
}

// readStatutes returns the status of every statute id in file.
func readStatutes(fsys fs.FS, file string) (map[string]string, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Statutes []struct {
			ID     string `yaml:"id"`
			Status string `yaml:"status"`
		} `yaml:"statutes"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := make(map[string]string, len(doc.Statutes))
	for _, s := range doc.Statutes {
		out[s.ID] = s.Status
	}
	return out, nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// at is the position of the value of key in mapping n.
func at(file string, n *yaml.Node, key string) diag.Pos {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return diag.At(file, n.Content[i+1])
		}
	}
	return diag.At(file, n)
}

// listItem is the position of item i of the list under key in mapping n.
func listItem(file string, n *yaml.Node, key string, i int) diag.Pos {
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			if l := n.Content[k+1]; l.Kind == yaml.SequenceNode && i < len(l.Content) {
				return diag.At(file, l.Content[i])
			}
			return diag.At(file, n.Content[k+1])
		}
	}
	return diag.At(file, n)
}
