// Package flow is the conversation language of AnNing: the schema of the YAML
// flows, their loader and validator, and the pure engine that runs them.
// It does no I/O of its own beyond reading the flow files it is given.
package flow

import (
	"github.com/anning-bot/anning/bot/diag"
	"github.com/anning-bot/anning/bot/legal"
)

// The fixed places every flow set must have.
const (
	MainFlow     = "main"     // holds the welcome and the menu
	MenuStep     = "menu"     // main.menu: where /menu and every end lead
	PrivacyStep  = "about"    // main.about: the privacy notice, where /privacy leads
	LawFlow      = "law"      // opened by /law
	ChannelsFlow = "channels" // opened by /channels
	DraftsFlow   = "drafts"   // opened by /draft, when it exists
)

// Action names a step may ask the runner to carry out.
const (
	ActionEvidence = "evidence" // show the evidence ledger / take files
	ActionDraft    = "draft"    // generate a complaint draft
)

// Ask kinds: what a free-text answer must look like.
const (
	KindText   = "text"
	KindPhone  = "phone"
	KindDate   = "date"
	KindAmount = "amount"
	KindNumber = "number"
)

// maxLabelRunes is the longest button label: Telegram shows about 40
// characters of an inline button.
const maxLabelRunes = 40

// Set is a validated collection of flows ready for the engine.
type Set struct {
	Flows   map[string]*Flow
	Order   []string // flow ids in menu order, then by id
	Library *legal.Library
	// Understanding reads free text (flows/intents.yaml); nil without an
	// intents file: then only options and commands are understood.
	Understanding *Understanding
}

// Flow is one YAML file: a titled graph of steps.
type Flow struct {
	ID          string
	Title       string
	Description string
	Start       string
	Steps       map[string]*Step
	StepOrder   []string // as written in the file
	File        string
	Pos         diag.Pos
}

// Step is one node of a flow. What it does is decided by which fields are set:
// Choices and/or Ask wait for the person; Branch, Next and End move on at once.
type Step struct {
	ID       string
	Flow     string
	Say      []*Template
	Cite     []string
	Channels []string
	Choices  []*Choice
	Ask      *Ask
	Branch   []*Rule
	Next     *Target
	End      bool
	Action   string
	With     map[string]string
	Pos      diag.Pos
}

// Waits reports whether the step stops to wait for the person's answer.
func (s *Step) Waits() bool { return len(s.Choices) > 0 || s.Ask != nil }

// Target is where a choice, rule or next leads: a step of the same flow
// (Step), a step of another flow (Flow and Step), or another flow's start.
type Target struct {
	Flow string
	Step string
	Pos  diag.Pos
}

// Is reports whether the target is that flow's step (wherever it is written).
func (t Target) Is(flow, step string) bool { return t.Flow == flow && t.Step == step }

func (t Target) String() string {
	if t.Step == "" {
		return t.Flow + "."
	}
	return t.Flow + "." + t.Step
}

// Choice is one option the person can pick.
type Choice struct {
	Label  string
	Target *Target // nil: the step's Next
	Set    []Assign
	Pos    diag.Pos
}

// Assign sets a variable to a fixed value, or to a template of other
// variables ({{heard_platform}}: confirming a fact heard earlier).
type Assign struct {
	Var   string
	Value string
	Tpl   *Template // set when Value holds {{...}}
}

// Ask is a free-text question whose answer is saved in Var.
type Ask struct {
	Var      string
	Kind     string
	Required bool
	Min, Max int // length limits in characters; 0 = none
	Pattern  string
	Error    string // the author's message when the answer is refused
	Hint     string // shown with the question
	// Approximate (dates): a month, part of a month or year is fine too
	// (去年10月, 10月中旬), saved with the precision it was given in.
	Approximate bool
	// After (dates): the answer may not be earlier than this variable's
	// date; the timeline of a case stays consistent.
	After string
	Pos   diag.Pos
	match func(string) bool
}

// Rule is one case of a branch: when Cond holds (nil: always), go to Target.
type Rule struct {
	Cond   *Cond
	Target Target
	Set    []Assign
	Pos    diag.Pos
}

// edges lists every target a step can lead to, with the variables assigned
// on the way, in the order an author reads them.
func (s *Step) edges() []edge {
	var out []edge
	for _, c := range s.Choices {
		t := c.Target
		if t == nil {
			t = s.Next
		}
		if t != nil {
			out = append(out, edge{to: *t, sets: assignedVars(c.Set), label: c.Label})
		}
	}
	if s.Ask != nil && s.Next != nil {
		out = append(out, edge{to: *s.Next, sets: []string{s.Ask.Var}, label: "回答"})
	}
	for _, r := range s.Branch {
		label := "否则"
		if r.Cond != nil {
			label = r.Cond.Source
		}
		out = append(out, edge{to: r.Target, sets: assignedVars(r.Set), label: label, auto: true})
	}
	if len(s.Choices) == 0 && s.Ask == nil && len(s.Branch) == 0 && s.Next != nil {
		out = append(out, edge{to: *s.Next, label: "", auto: true})
	}
	return out
}

type edge struct {
	to    Target
	sets  []string
	label string
	auto  bool // taken without waiting for the person
}

func assignedVars(as []Assign) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Var
	}
	return out
}
