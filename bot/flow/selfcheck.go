package flow

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/anning-bot/anning/bot/understand"
)

// selfCheckFolds is how many parts the examples are split into for the
// self-check: each part is held out once while the rest trains a model.
const selfCheckFolds = 5

// weakIntent is the cross-validated accuracy under which an intent is
// flagged for its author.
const weakIntent = 0.75

// WriteSelfCheck prints, for authors, how well each intent's examples are
// recognised when held out of training (5-fold cross-validation), what
// they are confused with, and how many of the despair examples the crisis
// model catches when held out. It reports whether every intent is fine.
func (set *Set) WriteSelfCheck(w io.Writer) bool {
	u := set.Understanding
	if u == nil {
		return true
	}
	ok := true
	reports := understand.CrossValidate(u.TopicExamples(), u.Variants, selfCheckFolds)
	total, right := 0, 0
	fmt.Fprintf(w, "intents (%s): %d-fold cross-validation of their examples\n", u.File, selfCheckFolds)
	for _, r := range reports {
		total += r.Examples
		right += r.Correct
		mark := ""
		if r.Accuracy() < weakIntent {
			mark, ok = "  WEAK: add varied examples", false
		}
		fmt.Fprintf(w, "  %-20s %3d examples  %5.1f%%%s%s\n", r.Class, r.Examples, 100*r.Accuracy(), confusedWith(r.Confused), mark)
	}
	fmt.Fprintf(w, "  overall %.1f%% of %d examples\n", 100*float64(right)/float64(max(total, 1)), total)
	// Crisis: the patterns of content/safety.yaml, or the model trained
	// without the example, as the engine decides.
	ex := u.CrisisExamples()
	p := understand.HeldOutScores(ex, u.Variants, selfCheckFolds, ClassCrisis)
	caught, despair, alarms, calm := 0, 0, 0, 0
	for i, e := range ex {
		hit := set.Library.Safety.Matches(normalizeText(e.Text)) || p[i] >= crisisP
		if e.Class == ClassCrisis {
			despair++
			if hit {
				caught++
			}
		} else {
			calm++
			if hit {
				alarms++
			}
		}
	}
	fmt.Fprintf(w, "crisis: %d of %d despair examples caught when held out from the model; %d false alarms on the %d other examples\n", caught, despair, alarms, calm)
	return ok
}

func confusedWith(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range m {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || list[i].v == list[j].v && list[i].k < list[j].k })
	var parts []string
	for i, e := range list {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", e.k, e.v))
	}
	return "  confused with " + strings.Join(parts, ", ")
}
