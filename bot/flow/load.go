package flow

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/diag"
	"github.com/anning-bot/anning/bot/legal"
)

var idRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Load reads every *.yaml file at the top of fsys as one flow, checks the
// whole set against the content library, and returns it ready to run. All
// problems come back at once as a diag.List inside the error.
func Load(fsys fs.FS, lib *legal.Library) (*Set, error) {
	return LoadWith(fsys, lib, Checks{})
}

// Checks are what the flows are checked against beyond the content library.
type Checks struct {
	// DraftVars lists, per draft kind, the variables its template reads
	// without a default; a step `action: draft` must name a known kind and
	// have them assigned on every path. Nil: drafts are not checked.
	DraftVars map[string][]string
	// Derived are variables the runner fills in itself (e.g. today).
	Derived []string
}

// LoadWith is Load with extra checks.
func LoadWith(fsys fs.FS, lib *legal.Library, checks Checks) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("flow: list flow files: %w", err)
	}
	var probs diag.List
	set := &Set{Flows: map[string]*Flow{}, Library: lib}
	if len(names) == 0 {
		probs.Add(diag.Pos{File: "."}, "put the flow files (*.yaml) at the top of the folder", "no flow files found")
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			probs.Add(diag.Pos{File: name}, "", "cannot read: %v", err)
			continue
		}
		if isIntentsFile(data) {
			if set.Understanding != nil {
				probs.Add(diag.Pos{File: name, Line: 1}, "keep all intents in one file", "intents are already defined in %s", set.Understanding.File)
				continue
			}
			set.Understanding = parseIntents(name, data, &probs)
			continue
		}
		f := parseFlow(name, data, &probs)
		if f == nil || !idRe.MatchString(f.ID) {
			continue
		}
		if prev, dup := set.Flows[f.ID]; dup {
			probs.Add(f.Pos, "each flow needs its own id", "flow %q is already defined in %s", f.ID, prev.Pos)
			continue
		}
		set.Flows[f.ID] = f
	}
	validate(set, checks, &probs)
	if u := set.Understanding; u != nil {
		validateIntents(set, u, &probs)
	}
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("flow: %d problem(s) in the flows:\n%w", len(probs), err)
	}
	for id := range set.Flows {
		set.Order = append(set.Order, id)
	}
	sort.Strings(set.Order)
	if u := set.Understanding; u != nil {
		u.train()
	}
	return set, nil
}

// Parse loads a single flow file's bytes; it is the fuzzing entry point and
// reports problems the same way as Load.
func Parse(name string, data []byte) (*Flow, error) {
	var probs diag.List
	f := parseFlow(name, data, &probs)
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	return f, nil
}

func parseFlow(file string, data []byte, probs *diag.List) *Flow {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(file, err)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		probs.Add(diag.Pos{File: file, Line: 1}, "start the file with `flow: <id>`", "a flow file must be a mapping")
		return nil
	}
	root := doc.Content[0]
	probs.CheckKeys(file, root, "a flow", "flow", "title", "description", "start", "steps")
	f := &Flow{File: file, Steps: map[string]*Step{}, Pos: diag.At(file, root)}
	var stepsNode *yaml.Node
	eachPair(root, func(k, v *yaml.Node) {
		switch k.Value {
		case "flow":
			f.ID = scalar(file, v, "flow", probs)
			f.Pos = diag.At(file, v)
		case "title":
			f.Title = scalar(file, v, "title", probs)
		case "description":
			f.Description = scalar(file, v, "description", probs)
		case "start":
			f.Start = scalar(file, v, "start", probs)
		case "steps":
			stepsNode = v
		}
	})
	base := strings.TrimSuffix(path.Base(file), ".yaml")
	switch {
	case f.ID == "":
		probs.Add(diag.At(file, root), fmt.Sprintf("add `flow: %s`", base), "missing flow id")
	case !idRe.MatchString(f.ID):
		probs.Add(f.Pos, "use lowercase letters, digits and _ , starting with a letter", "bad flow id %q", f.ID)
	}
	if f.Title == "" {
		probs.Add(diag.At(file, root), "a short Chinese title shown in menus", "missing title")
	}
	if stepsNode == nil || stepsNode.Kind != yaml.MappingNode || len(stepsNode.Content) == 0 {
		probs.Add(diag.At(file, root), "add `steps:` with at least one step", "a flow needs steps")
		return f
	}
	eachPair(stepsNode, func(k, v *yaml.Node) {
		id := k.Value
		if !idRe.MatchString(id) {
			probs.Add(diag.At(file, k), "use lowercase letters, digits and _ , starting with a letter", "bad step id %q", id)
		}
		if _, dup := f.Steps[id]; dup {
			probs.Add(diag.At(file, k), "rename one of them", "step %q is defined twice", id)
			return
		}
		s := parseStep(file, f.ID, id, v, probs)
		s.Pos = diag.At(file, k)
		f.Steps[id] = s
		f.StepOrder = append(f.StepOrder, id)
	})
	if f.Start == "" {
		f.Start = f.StepOrder[0]
	}
	return f
}

func parseStep(file, flowID, id string, n *yaml.Node, probs *diag.List) *Step {
	s := &Step{ID: id, Flow: flowID}
	if n.Kind != yaml.MappingNode {
		probs.Add(diag.At(file, n), "write the step's keys (say, choices, next...) under its id", "step %q must be a mapping", id)
		return s
	}
	probs.CheckKeys(file, n, "a step", "say", "cite", "channels", "choices", "ask", "branch", "next", "end", "action", "with")
	eachPair(n, func(k, v *yaml.Node) {
		switch k.Value {
		case "say":
			s.Say = parseSay(file, v, probs)
		case "cite":
			s.Cite = stringList(file, v, "cite", probs)
		case "channels":
			s.Channels = stringList(file, v, "channels", probs)
		case "choices":
			if v.Kind != yaml.SequenceNode {
				probs.Add(diag.At(file, v), "write a list: each choice starts with `- label:`", "choices must be a list")
				return
			}
			for _, c := range v.Content {
				s.Choices = append(s.Choices, parseChoice(file, flowID, c, probs))
			}
		case "ask":
			s.Ask = parseAsk(file, v, probs)
		case "branch":
			if v.Kind != yaml.SequenceNode {
				probs.Add(diag.At(file, v), "write a list: each case starts with `- if:`; the last has no if", "branch must be a list")
				return
			}
			for _, r := range v.Content {
				s.Branch = append(s.Branch, parseRule(file, flowID, r, probs))
			}
		case "next":
			t := parseTarget(file, flowID, v, probs)
			s.Next = &t
		case "end":
			if err := v.Decode(&s.End); err != nil {
				probs.Add(diag.At(file, v), "write end: true", "end must be true or false")
			}
		case "action":
			s.Action = scalar(file, v, "action", probs)
		case "with":
			if err := v.Decode(&s.With); err != nil {
				probs.Add(diag.At(file, v), "write key: value pairs", "with must be a mapping of text values")
			}
		}
	})
	return s
}

func parseSay(file string, n *yaml.Node, probs *diag.List) []*Template {
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		nodes = n.Content
	default:
		probs.Add(diag.At(file, n), "write the text, or a list of texts (one message each)", "say must be text")
		return nil
	}
	var out []*Template
	for _, m := range nodes {
		if m.Kind != yaml.ScalarNode {
			probs.Add(diag.At(file, m), "each message is plain text", "say must be text")
			continue
		}
		text := strings.TrimSpace(m.Value)
		if text == "" {
			probs.Add(diag.At(file, m), "remove it or write the message", "empty message")
			continue
		}
		t, err := ParseTemplate(text)
		if err != nil {
			probs.Add(diag.At(file, m), "placeholders look like {{platform}} or {{platform|该平台}}", "%v", err)
			continue
		}
		t.Line = m.Line
		out = append(out, t)
	}
	return out
}

func parseChoice(file, flowID string, n *yaml.Node, probs *diag.List) *Choice {
	c := &Choice{Pos: diag.At(file, n)}
	if n.Kind != yaml.MappingNode {
		probs.Add(c.Pos, "write `- label: 文字` and `goto: step`", "a choice must be a mapping")
		return c
	}
	probs.CheckKeys(file, n, "a choice", "label", "goto", "flow", "set")
	eachPair(n, func(k, v *yaml.Node) {
		switch k.Value {
		case "label":
			c.Label = strings.TrimSpace(scalar(file, v, "label", probs))
		case "goto", "flow":
			if c.Target != nil {
				probs.Add(diag.At(file, k), "keep one of goto and flow", "a choice leads to one place")
			}
			t := parseTargetKey(file, flowID, k.Value, v, probs)
			c.Target = &t
		case "set":
			c.Set = parseSet(file, v, probs)
		}
	})
	if c.Label == "" {
		probs.Add(c.Pos, "the text of the button", "choice without label")
	}
	return c
}

func parseRule(file, flowID string, n *yaml.Node, probs *diag.List) *Rule {
	r := &Rule{Pos: diag.At(file, n)}
	if n.Kind != yaml.MappingNode {
		probs.Add(r.Pos, "write `- if: condition` and `goto: step`", "a branch case must be a mapping")
		return r
	}
	probs.CheckKeys(file, n, "a branch case", "if", "goto", "flow", "set")
	hasTarget := false
	eachPair(n, func(k, v *yaml.Node) {
		switch k.Value {
		case "if":
			src := scalar(file, v, "if", probs)
			c, err := ParseCond(src)
			if err != nil {
				probs.Add(diag.At(file, v), `e.g. lender_kind == bank, or not platform`, "%v", err)
				c = &Cond{Source: src} // never true; keeps the case in place for the other checks
			}
			r.Cond = c
		case "goto", "flow":
			r.Target = parseTargetKey(file, flowID, k.Value, v, probs)
			hasTarget = true
		case "set":
			r.Set = parseSet(file, v, probs)
		}
	})
	if !hasTarget {
		probs.Add(r.Pos, "add goto: <step> or flow: <flow>", "branch case leads nowhere")
	}
	return r
}

func parseAsk(file string, n *yaml.Node, probs *diag.List) *Ask {
	a := &Ask{Kind: KindText, Required: true, Pos: diag.At(file, n)}
	if n.Kind != yaml.MappingNode {
		probs.Add(a.Pos, "write var: name and kind: text|phone|date|amount|number", "ask must be a mapping")
		return a
	}
	probs.CheckKeys(file, n, "an ask", "var", "kind", "required", "min", "max", "pattern", "error", "hint", "approximate", "after")
	var raw struct {
		Var      string `yaml:"var"`
		Kind     string `yaml:"kind"`
		Required *bool  `yaml:"required"`
		Min      int    `yaml:"min"`
		Max      int    `yaml:"max"`
		Pattern  string `yaml:"pattern"`
		Error    string `yaml:"error"`
		Hint     string `yaml:"hint"`
		Approx   bool   `yaml:"approximate"`
		After    string `yaml:"after"`
	}
	if err := n.Decode(&raw); err != nil {
		probs.AddYAMLError(file, err)
		return a
	}
	a.Var, a.Min, a.Max, a.Pattern, a.Error, a.Hint = raw.Var, raw.Min, raw.Max, raw.Pattern, raw.Error, raw.Hint
	a.Approximate, a.After = raw.Approx, raw.After
	if (a.Approximate || a.After != "") && raw.Kind != KindDate {
		probs.Add(a.Pos, "approximate and after apply to kind: date", "approximate/after on a %s question", orDefault(raw.Kind, KindText))
	}
	if a.After != "" && !varName.MatchString(a.After) {
		probs.Add(a.Pos, "name the earlier date's variable, e.g. after: overdue_date", "bad variable %q in after", a.After)
	}
	if raw.Kind != "" {
		a.Kind = raw.Kind
	}
	if raw.Required != nil {
		a.Required = *raw.Required
	}
	if !varName.MatchString(a.Var) {
		probs.Add(a.Pos, "name the answer, e.g. var: platform", "bad or missing var %q", a.Var)
	}
	switch a.Kind {
	case KindText, KindPhone, KindDate, KindAmount, KindNumber:
	default:
		probs.Add(a.Pos, diag.Suggest(a.Kind, []string{KindText, KindPhone, KindDate, KindAmount, KindNumber}), "unknown kind %q", a.Kind)
	}
	if a.Min < 0 || a.Max < 0 || (a.Max > 0 && a.Min > a.Max) {
		probs.Add(a.Pos, "min must not exceed max", "bad length limits min=%d max=%d", a.Min, a.Max)
	}
	if a.Pattern != "" {
		re, err := regexp.Compile(a.Pattern)
		if err != nil {
			probs.Add(a.Pos, "pattern is a Go regular expression", "bad pattern: %v", err)
		} else {
			a.match = re.MatchString
		}
	}
	return a
}

func parseSet(file string, n *yaml.Node, probs *diag.List) []Assign {
	if n.Kind != yaml.MappingNode {
		probs.Add(diag.At(file, n), "write set: {name: value}", "set must be a mapping")
		return nil
	}
	var out []Assign
	eachPair(n, func(k, v *yaml.Node) {
		if !varName.MatchString(k.Value) {
			probs.Add(diag.At(file, k), "use lowercase letters, digits and _", "bad variable name %q", k.Value)
		}
		a := Assign{Var: k.Value, Value: scalar(file, v, "set value", probs)}
		if strings.Contains(a.Value, "{{") {
			tpl, err := ParseTemplate(a.Value)
			if err != nil {
				probs.Add(diag.At(file, v), "write {{name}} or {{name|default}}", "set %s: %v", k.Value, err)
			}
			a.Tpl = tpl
		}
		out = append(out, a)
	})
	return out
}

// parseTargetKey reads `goto: step|flow.step` or `flow: flow`.
func parseTargetKey(file, flowID, key string, v *yaml.Node, probs *diag.List) Target {
	if key == "flow" {
		return Target{Flow: scalar(file, v, "flow", probs), Pos: diag.At(file, v)}
	}
	return parseTarget(file, flowID, v, probs)
}

func parseTarget(file, flowID string, v *yaml.Node, probs *diag.List) Target {
	s := scalar(file, v, "goto", probs)
	t := Target{Flow: flowID, Step: s, Pos: diag.At(file, v)}
	if f, st, ok := strings.Cut(s, "."); ok {
		t.Flow, t.Step = f, st
	}
	if s == "" {
		probs.Add(t.Pos, "name a step of this flow, or flow.step", "empty target")
	}
	return t
}

func scalar(file string, n *yaml.Node, what string, probs *diag.List) string {
	if n.Kind != yaml.ScalarNode {
		probs.Add(diag.At(file, n), "write a single value", "%s must be a single value", what)
		return ""
	}
	return n.Value
}

func stringList(file string, n *yaml.Node, what string, probs *diag.List) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		probs.Add(diag.At(file, n), "write [id1, id2]", "%s must be a list of ids", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, m := range n.Content {
		out = append(out, scalar(file, m, what, probs))
	}
	return out
}

func eachPair(n *yaml.Node, fn func(k, v *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
