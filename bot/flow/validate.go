package flow

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/anning-bot/anning/bot/diag"
)

type node struct{ flow, step string }

func (n node) String() string { return n.flow + "." + n.step }

// validate checks the whole set: ids and targets resolve, statutes and
// channels exist and are current, every step is reachable, no step loops
// without waiting, every path reaches an end or the menu, and every variable
// a template or comparison reads is assigned on every path to it.
func validate(set *Set, checks Checks, probs *diag.List) {
	main, ok := set.Flows[MainFlow]
	switch {
	case !ok:
		probs.Add(diag.Pos{File: MainFlow + ".yaml"}, "the main flow holds the welcome and the menu", "missing flow %q", MainFlow)
	case main.Steps[MenuStep] == nil:
		probs.Add(main.Pos, "add a step named menu with a choice for each flow", "flow %q needs a step %q", MainFlow, MenuStep)
	}
	for _, id := range []string{LawFlow, ChannelsFlow} {
		if _, ok := set.Flows[id]; !ok {
			probs.Add(diag.Pos{File: id + ".yaml"}, "the /law and /channels commands open these flows", "missing flow %q", id)
		}
	}
	flowIDs := sortedKeys(set.Flows)
	for _, fid := range flowIDs {
		f := set.Flows[fid]
		if f.Steps[f.Start] == nil {
			probs.Add(f.Pos, diag.Suggest(f.Start, f.StepOrder), "start step %q does not exist", f.Start)
		}
		for _, sid := range f.StepOrder {
			checkStep(set, f, f.Steps[sid], probs)
			if s := f.Steps[sid]; s.Action == ActionDraft && checks.DraftVars != nil {
				if _, ok := checks.DraftVars[s.With["kind"]]; !ok {
					probs.Add(s.Pos, suggestOr(s.With["kind"], sortedKeys(checks.DraftVars), "name a draft of content/drafts.yaml"), "unknown draft kind %q", s.With["kind"])
				}
			}
		}
	}
	if len(*probs) > 0 {
		return // the graph checks need resolved targets
	}
	checkGraph(set, checks, probs)
}

func checkStep(set *Set, f *Flow, s *Step, probs *diag.List) {
	lib := set.Library
	forward := 0
	for _, has := range []bool{len(s.Choices) > 0 || s.Ask != nil, len(s.Branch) > 0, s.End} {
		if has {
			forward++
		}
	}
	if forward == 0 && s.Next != nil {
		forward = 1
	}
	switch {
	case forward == 0:
		probs.Add(s.Pos, "add choices, ask, branch, next or end: true", "step %q leads nowhere", s.ID)
	case forward > 1:
		probs.Add(s.Pos, "a step either waits (choices/ask), branches, or ends", "step %q mixes %s", s.ID, describeModes(s))
	}
	if s.End && s.Next != nil {
		probs.Add(s.Pos, "remove next or end", "step %q has both end and next", s.ID)
	}
	if len(s.Branch) > 0 && s.Next != nil {
		probs.Add(s.Pos, "the last branch case without if is the default", "step %q has both branch and next", s.ID)
	}
	if s.Waits() && len(s.Say) == 0 {
		probs.Add(s.Pos, "say what the person should answer", "step %q waits for an answer but says nothing", s.ID)
	}
	if s.Ask != nil && s.Next == nil {
		probs.Add(s.Ask.Pos, "add next: <step> for where the answer leads", "ask in step %q needs next", s.ID)
	}
	labels := map[string]bool{}
	for _, c := range s.Choices {
		if c.Target == nil && s.Next == nil {
			probs.Add(c.Pos, "add goto: <step>, or next: on the step", "choice %q leads nowhere", c.Label)
		}
		if labels[c.Label] {
			probs.Add(c.Pos, "labels must differ so typed answers are clear", "choice %q appears twice", c.Label)
		}
		labels[c.Label] = true
		if _, err := strconv.Atoi(c.Label); err == nil {
			probs.Add(c.Pos, "a number would clash with typing the option's number", "choice label %q is a number", c.Label)
		}
		if n := utf8.RuneCountInString(c.Label); n > maxLabelRunes {
			probs.Add(c.Pos, "buttons show about 40 characters", "choice label is %d characters long", n)
		}
		if c.Target != nil {
			resolve(set, f, c.Target, probs)
		}
	}
	if len(s.Choices) > 12 {
		probs.Add(s.Pos, "split long menus; people on phones read about 8 options", "step %q has %d choices", s.ID, len(s.Choices))
	}
	for i, r := range s.Branch {
		last := i == len(s.Branch)-1
		if r.Cond == nil && !last {
			probs.Add(r.Pos, "the case without if must come last", "cases after the default can never run")
		}
		if r.Cond != nil && last {
			probs.Add(r.Pos, "end the branch with a case without if", "branch in step %q has no default case", s.ID)
		}
		resolve(set, f, &r.Target, probs)
	}
	if s.Next != nil {
		resolve(set, f, s.Next, probs)
	}
	for _, id := range s.Cite {
		st, ok := lib.Statute(id)
		switch {
		case !ok:
			probs.Add(s.Pos, suggestOr(id, lib.StatuteIDs(), "add it to content/statutes.yaml with its source"), "step %q cites unknown statute %q", s.ID, id)
		case st.Retired():
			probs.Add(s.Pos, fmt.Sprintf("cite %q instead", st.ReplacedBy), "step %q cites retired statute %q (%s %s)", s.ID, id, st.Law, st.Article)
		}
	}
	for _, id := range s.Channels {
		if _, ok := lib.Channel(id); !ok {
			probs.Add(s.Pos, suggestOr(id, lib.ChannelIDs(), "add it to content/channels.yaml"), "step %q names unknown channel %q", s.ID, id)
		}
	}
	switch s.Action {
	case "", ActionEvidence, ActionDraft:
	default:
		probs.Add(s.Pos, diag.Suggest(s.Action, []string{ActionEvidence, ActionDraft}), "unknown action %q", s.Action)
	}
	if s.Action == "" && len(s.With) > 0 {
		probs.Add(s.Pos, "with: gives an action its settings", "with: without action")
	}
}

func describeModes(s *Step) string {
	var m []string
	if len(s.Choices) > 0 {
		m = append(m, "choices")
	}
	if s.Ask != nil {
		m = append(m, "ask")
	}
	if len(s.Branch) > 0 {
		m = append(m, "branch")
	}
	if s.End {
		m = append(m, "end")
	}
	return strings.Join(m, " and ")
}

// resolve fills in a target's step (a flow's start) and reports unknown ones.
// A bare "menu" in a flow without such a step means the main menu.
func resolve(set *Set, from *Flow, t *Target, probs *diag.List) {
	if t.Flow == from.ID && t.Step == MenuStep && from.Steps[MenuStep] == nil {
		t.Flow = MainFlow
	}
	f, ok := set.Flows[t.Flow]
	if !ok {
		hint := suggestOr(t.Flow, sortedKeys(set.Flows), "")
		if t.Flow == from.ID || hint == "" {
			hint = "write a step of this flow, or flow.step"
		}
		probs.Add(t.Pos, hint, "unknown flow %q", t.Flow)
		return
	}
	if t.Step == "" {
		t.Step = f.Start
		return
	}
	if f.Steps[t.Step] == nil {
		where := "this flow"
		if f != from {
			where = "flow " + f.ID
		}
		probs.Add(t.Pos, suggestOr(t.Step, f.StepOrder, "steps of "+where+": "+strings.Join(f.StepOrder, ", ")), "unknown step %q in %s", t.Step, where)
	}
}

func suggestOr(got string, candidates []string, fallback string) string {
	if s := diag.Suggest(got, candidates); s != "" {
		return s
	}
	return fallback
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkGraph runs the whole-graph checks over every step of every flow.
func checkGraph(set *Set, checks Checks, probs *diag.List) {
	steps := map[node]*Step{}
	var order []node
	for _, fid := range sortedKeys(set.Flows) {
		f := set.Flows[fid]
		for _, sid := range f.StepOrder {
			n := node{fid, sid}
			steps[n] = f.Steps[sid]
			order = append(order, n)
		}
	}
	out := map[node][]edge{}
	for _, n := range order {
		out[n] = steps[n].edges()
	}
	entries := []node{{MainFlow, MenuStep}}
	for _, fid := range sortedKeys(set.Flows) {
		entries = append(entries, node{fid, set.Flows[fid].Start})
	}

	// Reachability from the entries (flow starts and the menu).
	reached := map[node]bool{}
	stack := append([]node(nil), entries...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reached[n] {
			continue
		}
		reached[n] = true
		for _, e := range out[n] {
			stack = append(stack, node{e.to.Flow, e.to.Step})
		}
	}
	for _, n := range order {
		if !reached[n] {
			probs.Add(steps[n].Pos, "link to it from a choice, next or branch, or remove it", "step %q can never be reached", n.step)
		}
	}

	checkAutoLoops(order, steps, out, probs)

	// Every step must be able to reach an end or the menu.
	menu := node{MainFlow, MenuStep}
	in := map[node][]node{}
	for _, n := range order {
		for _, e := range out[n] {
			to := node{e.to.Flow, e.to.Step}
			in[to] = append(in[to], n)
		}
	}
	done := map[node]bool{}
	stack = stack[:0]
	for _, n := range order {
		if steps[n].End || n == menu {
			stack = append(stack, n)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if done[n] {
			continue
		}
		done[n] = true
		stack = append(stack, in[n]...)
	}
	for _, n := range order {
		if !done[n] {
			probs.Add(steps[n].Pos, "give the path an end: true step or a way back to the menu", "no path from step %q reaches an end or the menu", n.step)
		}
	}

	checkAssigned(set, checks, order, steps, out, entries, probs)
}

// checkAutoLoops finds cycles made only of steps that move on without waiting
// for the person: the engine would spin on them forever.
func checkAutoLoops(order []node, steps map[node]*Step, out map[node][]edge, probs *diag.List) {
	const (
		white = iota
		grey
		black
	)
	color := map[node]int{}
	reported := map[node]bool{}
	var visit func(n node, path []node)
	visit = func(n node, path []node) {
		color[n] = grey
		path = append(path, n)
		if !steps[n].Waits() {
			for _, e := range out[n] {
				to := node{e.to.Flow, e.to.Step}
				switch color[to] {
				case grey:
					if !reported[to] {
						reported[to] = true
						cycle := []string{}
						for i := len(path) - 1; i >= 0; i-- {
							cycle = append([]string{path[i].String()}, cycle...)
							if path[i] == to {
								break
							}
						}
						probs.Add(steps[to].Pos, "let one step of the loop wait for an answer (choices or ask)",
							"steps loop without waiting for the person: %s -> %s", strings.Join(cycle, " -> "), to)
					}
				case white:
					visit(to, path)
				}
			}
		}
		color[n] = black
	}
	for _, n := range order {
		if color[n] == white {
			visit(n, nil)
		}
	}
}

// checkAssigned is a must-be-assigned data-flow analysis: a variable read by a
// template (without default) or compared in a condition must be assigned on
// every path from any entry to the step that reads it.
func checkAssigned(set *Set, checks Checks, order []node, steps map[node]*Step, out map[node][]edge, entries []node, probs *diag.List) {
	universe := map[string]bool{}
	for _, n := range order {
		for _, e := range out[n] {
			for _, v := range e.sets {
				universe[v] = true
			}
		}
	}
	for _, v := range append(GlobalVars, checks.Derived...) {
		universe[v] = true
	}
	isEntry := map[node]bool{}
	for _, n := range entries {
		isEntry[n] = true
	}
	in := map[node]map[string]bool{}
	for _, n := range order {
		if isEntry[n] {
			in[n] = map[string]bool{}
		} else {
			in[n] = copySet(universe)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, n := range order {
			for _, e := range out[n] {
				to := node{e.to.Flow, e.to.Step}
				flowIn := copySet(in[n])
				for _, v := range e.sets {
					flowIn[v] = true
				}
				for v := range in[to] {
					if !flowIn[v] {
						delete(in[to], v)
						changed = true
					}
				}
			}
		}
	}
	for _, n := range order {
		s := steps[n]
		have := copySet(in[n])
		reported := map[string]bool{}
		need := func(v, where string) {
			if !have[v] && !reported[v] {
				reported[v] = true
				hint := fmt.Sprintf("ask for it on every path here, test it with `if: %s` first, or write {{%s|默认文字}}", v, v)
				if !universe[v] {
					hint = "no step assigns it: check the spelling"
				}
				probs.Add(s.Pos, hint, "variable %q used in %s of step %q is not assigned on every path to it", v, where, n.step)
			}
		}
		for _, v := range GlobalVars {
			have[v] = true
		}
		for _, t := range s.Say {
			for _, v := range t.Vars() {
				need(v, "the text")
			}
		}
		for _, v := range checks.Derived {
			have[v] = true
		}
		if s.Action == ActionDraft {
			for _, v := range checks.DraftVars[s.With["kind"]] {
				need(v, "the draft "+s.With["kind"])
			}
		}
		for _, r := range s.Branch {
			if r.Cond == nil {
				continue
			}
			for _, v := range r.Cond.Compared() {
				need(v, "the condition")
			}
			// After a case `if: not x`, later cases only run when x is set.
			if v, ok := r.Cond.UnsetTest(); ok {
				have[v] = true
			}
		}
	}
}

func copySet(s map[string]bool) map[string]bool {
	c := make(map[string]bool, len(s))
	for k := range s {
		c[k] = true
	}
	return c
}
