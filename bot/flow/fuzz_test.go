package flow_test

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/flows"
)

// FuzzLoad feeds arbitrary bytes as one flow file beside valid fixed flows:
// the loader must never panic, and a set it accepts must run a turn.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"main.yaml", "law.yaml", "borrower.yaml", "advice.yaml"} {
		if data, err := flows.FS.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("flow: demo\ntitle: x\nsteps:\n  a:\n    say: '{{x|y}}'\n    ask: {var: x, kind: date}\n    next: a\n"))
	f.Add([]byte("flow: demo\ntitle: x\nsteps:\n  a:\n    branch:\n      - if: a == b or not c and d\n        goto: a\n      - goto: main.menu\n"))
	f.Add([]byte("&a [*a, *a]"))
	lib := library(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"demo.yaml": &fstest.MapFile{Data: data}}
		for name, src := range fixedFlows {
			fsys[name] = &fstest.MapFile{Data: []byte(src)}
		}
		set, err := flow.Load(fsys, lib)
		if err != nil {
			return
		}
		e := flow.NewEngine(set, func() time.Time { return testNow })
		out := e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: "/start demo"})
		out = e.Handle(out.State, domain.Event{Kind: domain.EventText, Text: "1"})
		if len(out.Replies) == 0 {
			t.Fatal("a turn gave no reply")
		}
	})
}

// FuzzParse feeds arbitrary bytes to the single-file parser.
func FuzzParse(f *testing.F) {
	f.Add([]byte("flow: demo\ntitle: x\nsteps:\n  a:\n    say: hi\n    end: true\n"))
	f.Add([]byte("steps: [1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = flow.Parse("fuzz.yaml", data)
	})
}
