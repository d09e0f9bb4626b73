package flow_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/anning-bot/anning/bot/flow"
)

// Each broken flow must be refused with the problem at its file:line:col.
func TestLoadReportsProblemsWithPositions(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown key with suggestion", `flow: demo
title: 演示
steps:
  a:
    sya: 你好
    end: true
`, []string{`demo.yaml:5:5: unknown key "sya" in a step (hint: did you mean "say"?)`}},
		{"dangling step, statute, channel", `flow: demo
title: 演示
steps:
  a:
    say: 你好
    cite: [civil-code-1303, psl-2012-42]
    channels: [nfra-1237]
    choices:
      - label: 下一步
        goto: nxet
  next:
    say: 完
    end: true
`, []string{
			`demo.yaml:10:15: unknown step "nxet" in this flow (hint: did you mean "next"?)`,
			`demo.yaml:4:3: step "a" cites unknown statute "civil-code-1303" (hint: did you mean`,
			`demo.yaml:4:3: step "a" cites retired statute "psl-2012-42"`,
			`(hint: cite "psl-50" instead)`,
			`demo.yaml:4:3: step "a" names unknown channel "nfra-1237" (hint: did you mean "nfra-12378"?)`,
		}},
		{"unreachable step", `flow: demo
title: 演示
steps:
  a:
    say: 你好
    end: true
  orphan:
    say: 没人来
    end: true
`, []string{`demo.yaml:7:3: step "orphan" can never be reached`}},
		{"loop without waiting", `flow: demo
title: 演示
steps:
  a:
    say: 一
    next: b
  b:
    say: 二
    next: a
`, []string{`demo.yaml:4:3: steps loop without waiting for the person: demo.a -> demo.b -> demo.a`,
			`no path from step "a" reaches an end or the menu`}},
		{"path never ends", `flow: demo
title: 演示
steps:
  a:
    say: 选
    choices:
      - label: 左
        goto: b
      - label: 右
        goto: c
  b:
    say: 再选
    choices:
      - label: 回去
        goto: b2
  b2:
    say: 又选
    choices:
      - label: 回去
        goto: b
  c:
    say: 完
    end: true
`, []string{`demo.yaml:11:3: no path from step "b" reaches an end or the menu`, `demo.yaml:16:3: no path from step "b2"`}},
		{"variable not assigned on every path", `flow: demo
title: 演示
steps:
  a:
    say: 选
    choices:
      - label: 问平台
        goto: ask
      - label: 不问
        goto: show
  ask:
    say: 平台叫什么？
    ask: {var: platform}
    next: show
  show:
    say: 平台是 {{platform}}，另一个是 {{nobody}}，默认 {{ok|好}}
    branch:
      - if: kind == bank
        goto: done
      - if: platform
        goto: done
      - goto: done
  done:
    say: 完
    end: true
`, []string{
			`demo.yaml:15:3: variable "platform" used in the text of step "show" is not assigned on every path to it`,
			`variable "nobody" used in the text of step "show" is not assigned on every path to it (hint: no step assigns it: check the spelling)`,
			`variable "kind" used in the condition of step "show"`,
		}},
		{"bad template, condition, kind, pattern", `flow: demo
title: 演示
steps:
  a:
    say: 你好 {{platform
    ask:
      var: x
      kind: phon
      pattern: "([a-"
    next: b
  b:
    say: 好
    branch:
      - if: x ==
        goto: a
      - if: x == 1
        goto: c
  c:
    say: 完
    end: true
`, []string{`demo.yaml:5:10: unclosed {{`, `demo.yaml:7:7: unknown kind "phon" (hint: did you mean "phone"?)`,
			`demo.yaml:7:7: bad pattern`, `branch in step "b" has no default case`}},
		{"step leads nowhere and mixes modes", `flow: demo
title: 演示
steps:
  a:
    say: 你好
    choices:
      - label: "1"
        goto: b
      - label: 下一步
    end: true
  b:
    say: 完
`, []string{`step "a" mixes choices and end`, `choice label "1" is a number`, `choice "下一步" leads nowhere`, `step "b" leads nowhere`}},
		{"yaml syntax error", "flow: demo\ntitle: [\n", []string{`demo.yaml:2: did not find expected node content`}},
		{"wrong types", `flow: demo
title: 演示
steps:
  a:
    say: {x: 1}
    choices: 下一步
    end: true
`, []string{`demo.yaml:5:10: say must be text`, `demo.yaml:6:14: choices must be a list`}},
		{"unknown flow and duplicate keys", `flow: demo
title: 演示
steps:
  a:
    say: 你好
    say: 再见
    choices:
      - label: 去
        flow: nowhere
`, []string{`demo.yaml:6:5: key "say" appears twice in a step`, `demo.yaml:9:15: unknown flow "nowhere"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"demo.yaml": tc.src})
			if err == nil {
				t.Fatal("a broken flow was accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems lack %q; got:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadRequiresFixedFlows(t *testing.T) {
	_, err := load(t, map[string]string{"demo.yaml": "flow: demo\ntitle: x\nsteps:\n  a:\n    say: x\n    end: true\n", "main.yaml": "flow: main\ntitle: x\nsteps:\n  welcome:\n    say: x\n    end: true\n"})
	if err == nil || !strings.Contains(err.Error(), `flow "main" needs a step "menu"`) {
		t.Fatalf("want missing menu; got %v", err)
	}
}

func TestLoadAcceptsValidSet(t *testing.T) {
	set := mustLoad(t, `flow: demo
title: 演示
steps:
  a:
    say: 你好
    end: true
`)
	if got := len(set.Flows); got != 4 {
		t.Fatalf("want 4 flows, got %d", got)
	}
}

// A draft step must name a known kind, and the facts its template needs
// without a default must be collected on every path to it.
func TestDraftStepsAreChecked(t *testing.T) {
	fsys := map[string]string{"demo.yaml": `flow: demo
title: 演示
steps:
  a:
    say: 选
    choices:
      - label: 填名字
        goto: name
      - label: 直接生成
        goto: make
  name:
    say: 叫什么？
    ask: {var: name}
    next: make
  make:
    action: draft
    with: {kind: police-report}
    say: 草稿如下
    next: other
  other:
    action: draft
    with: {kind: polce-report}
    say: 另一份
    end: true
`}
	files := fstest.MapFS{}
	for name, src := range fixedFlows {
		files[name] = &fstest.MapFile{Data: []byte(src)}
	}
	for name, src := range fsys {
		files[name] = &fstest.MapFile{Data: []byte(src)}
	}
	checks := flow.Checks{DraftVars: map[string][]string{"police-report": {"name", "today"}}, Derived: []string{"today"}}
	_, err := flow.LoadWith(files, library(t), checks)
	if err == nil || !strings.Contains(err.Error(), `demo.yaml:20:3: unknown draft kind "polce-report" (hint: did you mean "police-report"?)`) {
		t.Fatalf("unknown kind: %v", err)
	}
	files["demo.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(fsys["demo.yaml"], "polce-report", "police-report", 1))}
	_, err = flow.LoadWith(files, library(t), checks)
	want := `demo.yaml:15:3: variable "name" used in the draft police-report of step "make" is not assigned on every path to it`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("problems lack %q:\n%v", want, err)
	}
	if strings.Contains(err.Error(), `"today"`) {
		t.Error("a derived variable was required")
	}
}
