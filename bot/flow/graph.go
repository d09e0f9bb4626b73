package flow

import (
	"fmt"
	"strings"
)

// Mermaid returns a Mermaid flowchart of one flow: its steps (questions as
// parallelograms, branches as diamonds, ends as stadiums), the options on the
// edges, and jumps to other flows as separate nodes.
func Mermaid(set *Set, flowID string) (string, error) {
	f, ok := set.Flows[flowID]
	if !ok {
		return "", fmt.Errorf("flow: no flow %q (flows: %s)", flowID, strings.Join(set.Order, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%%%% %s: %s\nflowchart TD\n", f.ID, mermaidText(f.Title))
	foreign := map[string]bool{}
	for _, id := range f.StepOrder {
		s := f.Steps[id]
		label := mermaidText(id + ": " + summary(s))
		switch {
		case len(s.Branch) > 0:
			fmt.Fprintf(&b, "  %s{\"%s\"}\n", id, label)
		case s.Ask != nil:
			fmt.Fprintf(&b, "  %s[/\"%s\"/]\n", id, label)
		case s.End:
			fmt.Fprintf(&b, "  %s([\"%s\"])\n", id, label)
		default:
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", id, label)
		}
	}
	for _, id := range f.StepOrder {
		s := f.Steps[id]
		for _, e := range s.edges() {
			to := e.to.Step
			if e.to.Flow != f.ID {
				to = e.to.Flow + "__" + e.to.Step
				if !foreign[to] {
					foreign[to] = true
					fmt.Fprintf(&b, "  %s[[\"%s\"]]\n", to, mermaidText(e.to.String()))
				}
			}
			arrow := "-->"
			if e.auto {
				arrow = "-.->"
			}
			if e.label != "" {
				fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", id, arrow, mermaidText(e.label), to)
			} else {
				fmt.Fprintf(&b, "  %s %s %s\n", id, arrow, to)
			}
		}
		if s.End {
			if !foreign["main__menu"] {
				foreign["main__menu"] = true
				fmt.Fprintf(&b, "  main__menu[[\"main.menu\"]]\n")
			}
			fmt.Fprintf(&b, "  %s -.-> main__menu\n", id)
		}
	}
	return b.String(), nil
}

func summary(s *Step) string {
	if len(s.Say) == 0 {
		return ""
	}
	line, _, _ := strings.Cut(s.Say[0].Source, "\n")
	return clip(line, 18)
}

// mermaidText makes text safe inside a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", " ", "<", "#lt;", ">", "#gt;").Replace(s)
}
