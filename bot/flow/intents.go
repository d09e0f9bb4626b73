package flow

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/diag"
	"github.com/anning-bot/anning/bot/understand"
)

// Classes of the understanding model besides the intents.
const (
	ClassCrisis = "crisis" // despair or self-harm
	ClassOther  = "other"  // nothing the bot covers, or ordinary words that look alarming
)

// Understanding is the free-text part of a flow set: what people may mean
// by a message in their own words (the intents) and the model that tells
// them apart, trained when the flows are loaded.
type Understanding struct {
	Intents      map[string]*Intent
	Order        []string // intent ids as written
	Messages     UnderstandingMessages
	Variants     map[string]string
	Despair      []string            // example messages of despair
	Other        []string            // example messages that are no topic
	where        map[string]diag.Pos // each example's place, for authors' errors
	File         string
	Model        *understand.Model   // intents and "other"
	Crisis       *understand.Model   // ClassCrisis against everything else
	keywords     map[string][]string // each intent's keywords as the model reads them (alsoMentioned)
	alsoKeywords map[string][]string // each intent's also_keywords, likewise
}

// UnderstandingMessages are the engine's lines around free text.
type UnderstandingMessages struct {
	Unsure       string // before the likeliest intents offered as buttons
	Unknown      string // nothing understood
	Resume       string // the button that returns to the interrupted question
	Menu         string // the button to the main menu
	KeepEvidence string // the button that keeps a text typed at the evidence step as evidence
	Forwarded    string // before the button that keeps a collector's message pasted elsewhere (optional: else Unsure)
}

// Intent is one thing people say in their own words, and where it leads.
type Intent struct {
	ID         string
	Target     Target
	Label      string // the button when offered as a suggestion
	Understood string // said when the bot is sure
	Keywords   []string
	Examples   []string
	// AlsoKeywords name this intent as a second topic of a message that is
	// surely about another ("…还说要抓我" → 也看看：不还钱会坐牢吗). Only
	// these count: a topic keyword like 立案 is also said of a police report.
	AlsoKeywords []string
	// AfterCrisis: offered beside "continue" when words of despair are typed
	// at a form's question, so the form is not simply asked again.
	AfterCrisis bool
	Pos         diag.Pos
}

// isIntentsFile tells an intents file from a flow by its root keys.
func isIntentsFile(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "flow" {
			return false
		}
		if root.Content[i].Value == "intents" {
			return true
		}
	}
	return false
}

func parseIntents(file string, data []byte, probs *diag.List) *Understanding {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(file, err)
		return nil
	}
	root := doc.Content[0]
	probs.CheckKeys(file, root, "an intents file", "messages", "variants", "intents", "crisis", "other")
	u := &Understanding{File: file, Intents: map[string]*Intent{}, Variants: map[string]string{}, where: map[string]diag.Pos{}}
	eachPair(root, func(k, v *yaml.Node) {
		switch k.Value {
		case "messages":
			parseUnderstandingMessages(file, v, &u.Messages, probs)
		case "variants":
			if v.Kind != yaml.MappingNode {
				probs.Add(diag.At(file, v), "write `variant: standard form` pairs", "variants must be a mapping")
				return
			}
			eachPair(v, func(a, b *yaml.Node) {
				from, to := scalar(file, a, "variant", probs), scalar(file, b, "standard form", probs)
				if strings.TrimSpace(from) == "" {
					probs.Add(diag.At(file, a), "", "empty variant")
				}
				u.Variants[from] = to
			})
		case "intents":
			if v.Kind != yaml.MappingNode {
				probs.Add(diag.At(file, v), "write `id: {goto: ..., label: ..., examples: [...]}`", "intents must be a mapping of ids")
				return
			}
			eachPair(v, func(a, b *yaml.Node) {
				in := parseIntent(file, a, b, probs, u.where)
				if in == nil {
					return
				}
				if prev, dup := u.Intents[in.ID]; dup {
					probs.Add(in.Pos, "give each intent its own id", "intent %q is already defined at line %d", in.ID, prev.Pos.Line)
					return
				}
				u.Intents[in.ID] = in
				u.Order = append(u.Order, in.ID)
			})
		case "crisis":
			u.Despair = exampleList(file, v, ClassCrisis, probs, u.where)
		case "other":
			u.Other = exampleList(file, v, ClassOther, probs, u.where)
		}
	})
	m := u.Messages
	for _, need := range []struct{ name, value string }{{"unsure", m.Unsure}, {"unknown", m.Unknown}, {"resume", m.Resume}, {"menu", m.Menu}, {"keep_evidence", m.KeepEvidence}} {
		if strings.TrimSpace(need.value) == "" {
			probs.Add(diag.At(file, root), fmt.Sprintf("add `messages: {%s: ...}`", need.name), "missing message %q", need.name)
		}
	}
	checkExamples(u, probs)
	return u
}

func parseUnderstandingMessages(file string, n *yaml.Node, m *UnderstandingMessages, probs *diag.List) {
	probs.CheckKeys(file, n, "messages", "unsure", "unknown", "resume", "menu", "keep_evidence", "forwarded")
	eachPair(n, func(k, v *yaml.Node) {
		s := scalar(file, v, k.Value, probs)
		switch k.Value {
		case "unsure":
			m.Unsure = s
		case "unknown":
			m.Unknown = s
		case "resume":
			m.Resume = s
		case "menu":
			m.Menu = s
		case "keep_evidence":
			m.KeepEvidence = s
		case "forwarded":
			m.Forwarded = s
		}
	})
	for _, label := range []string{m.Resume, m.Menu, m.KeepEvidence} {
		if utf8.RuneCountInString(label) > maxLabelRunes {
			probs.Add(diag.At(file, n), "buttons hold at most 40 characters", "button label %q is too long", label)
		}
	}
}

func parseIntent(file string, k, v *yaml.Node, probs *diag.List, where map[string]diag.Pos) *Intent {
	in := &Intent{ID: k.Value, Pos: diag.At(file, k)}
	if !idRe.MatchString(in.ID) || in.ID == ClassCrisis || in.ID == ClassOther {
		probs.Add(in.Pos, "use lowercase letters, digits and _ (crisis and other are reserved)", "bad intent id %q", in.ID)
		return nil
	}
	if v.Kind != yaml.MappingNode {
		probs.Add(diag.At(file, v), "write goto, label, understood and examples under the id", "intent %q must be a mapping", in.ID)
		return nil
	}
	probs.CheckKeys(file, v, "an intent", "goto", "flow", "label", "understood", "keywords", "examples", "also_keywords", "after_crisis")
	hasTarget := false
	eachPair(v, func(a, b *yaml.Node) {
		switch a.Value {
		case "goto", "flow":
			if hasTarget {
				probs.Add(diag.At(file, a), "keep only one of goto and flow", "intent %q has two targets", in.ID)
			}
			hasTarget = true
			in.Target = parseTargetKey(file, "", a.Value, b, probs)
			if a.Value == "goto" && in.Target.Flow == "" {
				probs.Add(in.Target.Pos, "write flow.step (an intent belongs to no flow)", "intent %q: target %q names no flow", in.ID, in.Target.Step)
			}
		case "label":
			in.Label = scalar(file, b, "label", probs)
		case "understood":
			in.Understood = scalar(file, b, "understood", probs)
		case "keywords":
			in.Keywords = exampleList(file, b, "keywords", probs, nil)
		case "examples":
			in.Examples = exampleList(file, b, in.ID, probs, where)
		case "also_keywords":
			in.AlsoKeywords = exampleList(file, b, "also_keywords", probs, nil)
		case "after_crisis":
			if err := b.Decode(&in.AfterCrisis); err != nil {
				probs.Add(diag.At(file, b), "write after_crisis: true", "after_crisis must be true or false")
			}
		}
	})
	switch {
	case !hasTarget:
		probs.Add(in.Pos, "add `goto: flow.step` or `flow: id`", "intent %q leads nowhere", in.ID)
	case strings.TrimSpace(in.Label) == "":
		probs.Add(in.Pos, "add `label:`, the button shown when the bot offers this intent", "intent %q has no label", in.ID)
	case utf8.RuneCountInString(in.Label) > maxLabelRunes:
		probs.Add(in.Pos, "buttons hold at most 40 characters", "intent %q: label is too long", in.ID)
	case len(in.AlsoKeywords) > 0 && utf8.RuneCountInString(msgAlso+in.Label) > maxLabelRunes:
		probs.Add(in.Pos, "buttons hold at most 40 characters", "intent %q: label is too long for the button %q", in.ID, msgAlso+in.Label)
	case strings.TrimSpace(in.Understood) == "":
		probs.Add(in.Pos, "add `understood:`, the short line said when the bot is sure", "intent %q has no understood line", in.ID)
	case len(in.Examples) < minIntentExamples:
		probs.Add(in.Pos, "write many varied messages: short, long, spoken, with typos", "intent %q has %d examples; at least %d are needed", in.ID, len(in.Examples), minIntentExamples)
	}
	return in
}

// minIntentExamples: with fewer, an intent cannot be told from its
// neighbours reliably.
const minIntentExamples = 10

func exampleList(file string, n *yaml.Node, what string, probs *diag.List, where map[string]diag.Pos) []string {
	if n.Kind != yaml.SequenceNode {
		probs.Add(diag.At(file, n), "write a list, one message per line starting with -", "%s must be a list", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, m := range n.Content {
		s := strings.TrimSpace(scalar(file, m, what, probs))
		if s == "" {
			probs.Add(diag.At(file, m), "remove the empty item", "empty %s item", what)
			continue
		}
		out = append(out, s)
		if where != nil {
			where[what+"\x00"+s] = diag.At(file, m)
		}
	}
	return out
}

// checkExamples refuses a message written under two classes: the model
// could not learn both.
func checkExamples(u *Understanding, probs *diag.List) {
	seen := map[string]string{}
	norm := understand.NewNormalizer(u.Variants)
	add := func(class, text string) {
		key := norm.Normalize(text)
		if prev, ok := seen[key]; ok && prev != class {
			pos, ok := u.where[class+"\x00"+text]
			if !ok {
				pos = diag.Pos{File: u.File}
			}
			probs.Add(pos, "keep each message under one intent (numbers and punctuation are ignored when comparing)", "%q is an example of both %s and %s", text, prev, class)
			return
		}
		seen[key] = class
	}
	for _, id := range u.Order {
		for _, e := range u.Intents[id].Examples {
			add(id, e)
		}
	}
	for _, e := range u.Despair {
		add(ClassCrisis, e)
	}
	for _, e := range u.Other {
		add(ClassOther, e)
	}
}

// validateIntents checks every intent's target against the flows.
func validateIntents(set *Set, u *Understanding, probs *diag.List) {
	for _, id := range u.Order {
		in := u.Intents[id]
		t := in.Target
		f := set.Flows[t.Flow]
		if f == nil {
			probs.Add(t.Pos, diag.Suggest(t.Flow, flowIDs(set)), "intent %q: no flow %q", id, t.Flow)
			continue
		}
		if t.Step == "" {
			in.Target.Step = f.Start
			continue
		}
		if f.Steps[t.Step] == nil {
			probs.Add(t.Pos, diag.Suggest(t.Step, f.StepOrder), "intent %q: flow %q has no step %q", id, t.Flow, t.Step)
		}
	}
}

func flowIDs(set *Set) []string {
	ids := make([]string, 0, len(set.Flows))
	for id := range set.Flows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// TopicExamples lists what the topic model learns from: every intent's
// examples and keywords, and the messages that are no topic.
func (u *Understanding) TopicExamples() []understand.Example {
	var ex []understand.Example
	for _, id := range u.Order {
		in := u.Intents[id]
		for _, e := range in.Examples {
			ex = append(ex, understand.Example{Class: id, Text: e})
		}
		for _, k := range in.Keywords {
			ex = append(ex, understand.Example{Class: id, Text: k})
		}
	}
	for _, e := range u.Other {
		ex = append(ex, understand.Example{Class: ClassOther, Text: e})
	}
	return ex
}

// CrisisExamples lists what the crisis model learns from: the messages of
// despair against every other message, so that ordinary text (even with
// alarming-looking words) and unknown text lean away from an alarm.
func (u *Understanding) CrisisExamples() []understand.Example {
	var ex []understand.Example
	for _, e := range u.Despair {
		ex = append(ex, understand.Example{Class: ClassCrisis, Text: e})
	}
	for _, e := range u.TopicExamples() {
		ex = append(ex, understand.Example{Class: ClassOther, Text: e.Text})
	}
	return ex
}

// train fits both models.
func (u *Understanding) train() {
	u.Model = understand.Train(u.TopicExamples(), u.Variants)
	u.Crisis = understand.Train(u.CrisisExamples(), u.Variants)
	u.keywords, u.alsoKeywords = map[string][]string{}, map[string][]string{}
	for _, id := range u.Order {
		for _, k := range u.Intents[id].Keywords {
			u.keywords[id] = append(u.keywords[id], u.Model.Normalize(k))
		}
		for _, k := range u.Intents[id].AlsoKeywords {
			u.alsoKeywords[id] = append(u.alsoKeywords[id], u.Model.Normalize(k))
		}
	}
}

// alsoMentioned finds, in a message whose topic is sure, another topic it
// names by one of its keywords: "通讯录被爆了…还说我是诈骗犯要抓我" is about
// the contacts, and names 坐牢 too. The model weighs the whole message, so
// a second fear in a long story barely moves it.
func (u *Understanding) alsoMentioned(in string, sure *Intent) *Intent {
	text := u.Model.Normalize(in)
	for _, k := range u.keywords[sure.ID] {
		if k != "" {
			text = strings.ReplaceAll(text, k, "|") // 律师函 (a lawsuit) holds 律师 (legal aid)
		}
	}
	for _, id := range u.Order {
		it := u.Intents[id]
		if it == sure || it.Target.Is(sure.Target.Flow, sure.Target.Step) || it.Target.Is(MainFlow, MenuStep) {
			continue
		}
		for _, k := range u.alsoKeywords[id] {
			if k != "" && strings.Contains(text, k) {
				return it
			}
		}
	}
	return nil
}
