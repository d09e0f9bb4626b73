package flows_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/flow"
)

// minModelCrisisP is how sure the crisis model must be of a despair message
// that no pattern of content/safety.yaml catches. The engine acts at 0.50;
// a message caught at 0.51 is one training example away from a miss (four
// of crisis_dev3 were: any one new example of any topic tipped them over).
// Such a message needs a pattern, or more crisis examples like it.
const minModelCrisisP = 0.60

// TestCrisisNotOnTheEdge checks every despair message of the development
// sets is caught by a pattern, or by the model with room to spare, so that
// teaching the bot a new topic cannot silently lose one. The held-out set
// is only measured: tuning on it would make its figure meaningless.
func TestCrisisNotOnTheEdge(t *testing.T) {
	set := loadSet(t)
	heldout := loadHeldout(t).Crisis
	held, heldEdge := crisisEdge(set, heldout)
	fmt.Printf("FIGURE crisis, held-out: %d of %d despair messages caught by the model alone, %d of them below P %.2f\n",
		held, len(heldout), len(heldEdge), minModelCrisisP)
	var msgs []string
	for _, name := range crisisSetNames {
		msgs = append(msgs, loadCrisisSet(t, name).Crisis...)
	}
	byModel, edge := crisisEdge(set, msgs)
	fmt.Printf("FIGURE crisis, development sets: %d of %d despair messages caught by the model alone, %d of them below P %.2f\n",
		byModel, len(msgs), len(edge), minModelCrisisP)
	if len(edge) > 0 {
		t.Errorf("despair caught by the model alone and barely (add a pattern to content/safety.yaml or crisis examples):\n%s", strings.Join(edge, "\n"))
	}
}

// crisisEdge counts the messages no safety pattern catches, and lists those
// of them the model catches with less than minModelCrisisP (or misses).
func crisisEdge(set *flow.Set, msgs []string) (byModel int, edge []string) {
	safety, model := set.Library.Safety, set.Understanding.Crisis
	for _, msg := range msgs {
		lit := safety.Literal(flow.Compact(msg))
		if safety.MatchesLiteral(lit) {
			continue
		}
		byModel++
		scores, _ := model.Classify(lit)
		p := 0.0
		for _, s := range scores {
			if s.Class == flow.ClassCrisis {
				p = s.P
			}
		}
		if p < minModelCrisisP {
			edge = append(edge, fmt.Sprintf("%.2f %s", p, msg))
		}
	}
	sort.Strings(edge)
	return byModel, edge
}

// TestOptionLabelsRaiseNoAlarm types every option of every step, as console
// and web users do: none may bring the crisis message unless a despair
// pattern matches it (the model alone took 没有 and 不用，我自己填 for
// despair). "无" is typed where the occupation question allows it.
func TestOptionLabelsRaiseNoAlarm(t *testing.T) {
	set := loadSet(t)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	typed := 0
	for _, f := range set.Flows {
		for _, step := range f.Steps {
			for _, c := range step.Choices {
				st := flow.State{Schema: flow.SchemaVersion, Flow: f.ID, Step: step.ID}
				_, _, crisis := classifyTurn(e, st, c.Label)
				typed++
				if crisis && !set.Library.Safety.Matches(flow.Compact(c.Label)) {
					t.Errorf("%s.%s: typing the option %q brings the crisis message", f.ID, step.ID, c.Label)
				}
			}
		}
	}
	if typed < 100 {
		t.Fatalf("only %d options typed", typed)
	}
	for _, in := range []string{"无", "没有", "都没有", "暂无"} {
		if _, _, crisis := classifyTurn(e, flow.State{Schema: flow.SchemaVersion, Flow: "drafts", Step: "civil_ask"}, in); crisis {
			t.Errorf("%q at the occupation question brings the crisis message", in)
		}
	}
}
