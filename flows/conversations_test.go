package flows_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/chat"
	"github.com/anning-bot/anning/bot/console"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

// A script is a dialogue: what the person sends and what the replies must
// (and must not) contain.
type script struct {
	Name  string `yaml:"name"`
	Turns []struct {
		Send   *string  `yaml:"send"`
		Press  int      `yaml:"press"`
		Expect []string `yaml:"expect"`
		Absent []string `yaml:"absent"`
	} `yaml:"turns"`
}

// testNow is the fixed clock of every conversation test (Beijing time).
var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func loadSet(t testing.TB) *flow.Set {
	t.Helper()
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestConversations runs every script and fails if any step of any flow is
// visited by none of them.
func TestConversations(t *testing.T) {
	set := loadSet(t)
	files, err := filepath.Glob("testdata/conversations/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conversation scripts found: %v", err)
	}
	visited := map[string]bool{}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			runScript(t, set, file, visited)
		})
	}
	var missing []string
	if u := set.Understanding; u != nil {
		for _, id := range u.Order {
			if !visited["intent:"+id] {
				missing = append(missing, "intent "+id+" ("+u.Intents[id].Pos.String()+")")
			}
		}
	}
	for _, id := range set.Order {
		f := set.Flows[id]
		for _, sid := range f.StepOrder {
			if !visited[id+"."+sid] {
				missing = append(missing, id+"."+sid+" ("+f.Steps[sid].Pos.String()+")")
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d step(s) or intent(s) visited by no conversation script; add turns that reach them (for an intent: send a message in its words):\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
}

func runScript(t *testing.T, set *flow.Set, file string, visited map[string]bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc script
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(sc.Turns) == 0 {
		t.Fatalf("%s: no turns", file)
	}
	engine := flow.NewEngine(set, func() time.Time { return testNow })
	rules, err := facts.LoadRules(content.FS, "evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := draft.LoadTemplates(content.FS, set.Library)
	if err != nil {
		t.Fatal(err)
	}
	// Drafts are built for real (without evidence), so that scripts can
	// check what a draft says and what it must not say.
	drafts := &draft.Service{Templates: tpl, Now: func() time.Time { return testNow }}
	runner := chat.NewRunner(engine, session.NewMemory(0, nil), chat.Options{
		Hear:    rules.Heard,
		Actions: map[string]chat.ActionFunc{domain.DoDraft: drafts.Act},
		Observe: func(_ string, out flow.Output) {
			for _, v := range out.Visited {
				visited[v] = true
			}
			if out.Intent != "" {
				visited["intent:"+out.Intent] = true
			}
		},
	})
	lastRef := ""
	for i, turn := range sc.Turns {
		var ev domain.Event
		what := ""
		switch {
		case turn.Send != nil && turn.Press == 0:
			ev = domain.Event{Kind: domain.EventText, Text: *turn.Send}
			what = "send " + *turn.Send
		case turn.Send == nil && turn.Press > 0:
			ev = domain.Event{Kind: domain.EventPick, Ref: lastRef, Index: turn.Press - 1}
			what = "press " + itoa(turn.Press)
		default:
			t.Fatalf("%s: turn %d: write either send: or press:", file, i+1)
		}
		replies, err := runner.Handle(context.Background(), "tester", ev)
		if err != nil {
			t.Fatalf("%s: turn %d (%s): %v", file, i+1, what, err)
		}
		for _, r := range replies {
			if len(r.Choices) > 0 {
				lastRef = r.Ref
			}
		}
		got := console.Render(replies)
		for _, want := range turn.Expect {
			if !strings.Contains(got, want) {
				t.Errorf("%s: turn %d (%s): reply lacks %q; got:\n%s", file, i+1, what, want, got)
			}
		}
		for _, bad := range turn.Absent {
			if strings.Contains(got, bad) {
				t.Errorf("%s: turn %d (%s): reply should not contain %q; got:\n%s", file, i+1, what, bad, got)
			}
		}
		if len(turn.Expect) == 0 && len(turn.Absent) == 0 {
			t.Errorf("%s: turn %d (%s): give expect: or absent:, a turn must check something", file, i+1, what)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
