package flows_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"

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
	for _, name := range []string{"crisis_dev1", "crisis_dev2", "crisis_dev3"} {
		data, err := os.ReadFile("testdata/understanding/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Crisis []string `yaml:"crisis"`
		}
		if err := yaml.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, s.Crisis...)
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
		lit := safety.Literal(compact(msg))
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

// compact is the text as the safety patterns read it: lowercase, without
// spaces, punctuation or symbols.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
