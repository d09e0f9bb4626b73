package flow_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

const demoFlow = `flow: demo
title: 演示
steps:
  pick:
    say: 你的借款来自哪一类？
    choices:
      - label: 银行或消费金融公司
        set: {kind: bank}
        goto: platform
      - label: 网络小额贷款公司
        set: {kind: micro}
        goto: platform
      - label: 不清楚
        set: {kind: unknown}
        goto: platform
  platform:
    say: 平台叫什么？
    ask: {var: platform, required: false, max: 10}
    next: phone
  phone:
    say: 催收号码是多少？
    ask: {var: phone, kind: phone}
    next: times
  times:
    say: 一共打了几次？
    ask: {var: times, kind: number}
    next: route
  route:
    branch:
      - if: kind == bank
        goto: bank
      - goto: other
  bank:
    say: "{{platform|该平台}} 的号码 {{phone}} 打了 {{times}} 次，找 12378。"
    end: true
  other:
    say: "{{platform|该平台}} 的号码 {{phone}}：找地方金融管理局。"
    end: true
`

type chat struct {
	t   *testing.T
	e   *flow.Engine
	st  flow.State
	out flow.Output
}

func newChat(t *testing.T) *chat {
	set := mustLoad(t, demoFlow)
	return &chat{t: t, e: flow.NewEngine(set, func() time.Time { return testNow })}
}

func (c *chat) send(text string) string {
	c.t.Helper()
	c.out = c.e.Handle(c.st, domain.Event{Kind: domain.EventText, Text: text})
	c.st = c.out.State
	return joined(c.out.Replies)
}

func (c *chat) press(ref string, i int) string {
	c.t.Helper()
	c.out = c.e.Handle(c.st, domain.Event{Kind: domain.EventPick, Ref: ref, Index: i})
	c.st = c.out.State
	return joined(c.out.Replies)
}

func joined(rs []domain.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
		for _, c := range r.Choices {
			b.WriteString("[" + c + "]\n")
		}
	}
	return b.String()
}

func (c *chat) expect(got string, want ...string) {
	c.t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			c.t.Errorf("reply lacks %q; got:\n%s", w, got)
		}
	}
}

func (c *chat) at(step string) {
	c.t.Helper()
	if got := c.st.Flow + "." + c.st.Step; got != step {
		c.t.Errorf("at %s, want %s", got, step)
	}
}

func TestEngineWalkAndVariables(t *testing.T) {
	c := newChat(t)
	c.expect(c.send("/start demo"), "你的借款来自哪一类", "[银行或消费金融公司]")
	c.expect(c.send("银行"), "平台叫什么", "[跳过]", "可以回复“跳过”")
	c.expect(c.send("{{phone}}有钱花"), "内容太长了")
	c.expect(c.send("{{phone}}"), "催收号码是多少")
	c.expect(c.send("12345"), "不像电话号码")
	c.at("demo.phone")
	c.expect(c.send("+86 138-1234-5678"), "一共打了几次")
	c.expect(c.send("1"), "{{phone}} 的号码 13812345678 打了 1 次，找 12378", "请选择") // literal, never re-read
	c.at("main.menu")
	want := map[string]string{"kind": "bank", "platform": "{{phone}}", "phone": "13812345678", "times": "1"}
	if !reflect.DeepEqual(c.st.Vars, want) {
		t.Errorf("vars = %v, want %v", c.st.Vars, want)
	}
	if got := strings.Join(c.out.Visited, " "); got != "demo.route demo.bank main.menu" {
		t.Errorf("visited %q", got)
	}
}

func TestEngineOptionalAnswerAndSkip(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	c.send("3")
	c.expect(c.send("1"), "催收号码是多少") // "1" picks 跳过 on a text question
	if v, ok := c.st.Vars["platform"]; !ok || v != "" {
		t.Errorf("skipped answer: %q %v", v, ok)
	}
	c.send("021 6123 4567")
	c.send("三次")
	c.expect(strings.Join(nil, ""))
	if c.st.Vars["phone"] != "021-61234567" || c.st.Vars["times"] != "3" {
		t.Errorf("vars = %v", c.st.Vars)
	}
	c.expect(joined(c.out.Replies), "该平台 的号码 021-61234567：找地方金融管理局")
}

func TestEngineBackUndoesAnswers(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	c.send("1")
	c.send("有钱花")
	c.at("demo.phone")
	c.expect(c.send("/back"), "撤回了上一个回答", "平台叫什么")
	if _, ok := c.st.Vars["platform"]; ok {
		t.Errorf("platform kept after /back: %v", c.st.Vars)
	}
	c.send("/back")
	c.at("demo.pick")
	if _, ok := c.st.Vars["kind"]; ok {
		t.Errorf("kind kept after /back: %v", c.st.Vars)
	}
	c.expect(c.send("/back"), "已经是开头了", "你的借款来自哪一类")
}

func TestEnginePureAndStaleButtons(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	oldRef := c.out.Replies[len(c.out.Replies)-1].Ref
	before := c.st
	snapshot, _ := jsonish(before)
	c.e.Handle(before, domain.Event{Kind: domain.EventText, Text: "1"})
	if after, _ := jsonish(before); after != snapshot {
		t.Fatal("Handle changed the state it was given")
	}
	c.expect(c.press(oldRef, 1), "平台叫什么")
	c.expect(c.press(oldRef, 0), "这个按钮已过期", "平台叫什么")
	c.at("demo.platform")
	ref := c.out.Replies[len(c.out.Replies)-1].Ref
	c.expect(c.press(ref, 0), "催收号码是多少") // the 跳过 button
}

func jsonish(st flow.State) (string, error) {
	b := strings.Builder{}
	b.WriteString(st.Flow + st.Step)
	for k, v := range st.Vars {
		b.WriteString(k + "=" + v)
	}
	b.WriteString(strings.Repeat("h", len(st.History)))
	return b.String(), nil
}

func TestEngineBadInput(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	before := c.st
	c.expect(c.send("   "), "没有收到内容")
	c.expect(c.send(strings.Repeat("长", flow.MaxInputRunes+1)), "太长了", "没有保存")
	c.expect(c.send("/nope"), "没有这个命令")
	if c.st.Step != before.Step || c.st.Misses != before.Misses {
		t.Error("bad input changed the state")
	}
	c.expect(c.send("😀"), "没看懂这句话")
	c.expect(c.send("小额"), "平台叫什么") // a unique part of a label picks it
	c.send("/back")
	c.expect(c.send("公司"), "没看懂这句话") // ambiguous part: ask again
	c.expect(c.send("9"), "没有第 9 项", "请选 1 到 3")
	c.expect(c.send("9"), "还是没看懂", "[回到主菜单]")
	c.expect(c.send("4"), "请选择")
}

func TestEngineCrisisWordsAnsweredFirst(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	c.send("1")
	out := c.send("我 不想活了！")
	if c.out.Replies[0].Kind != domain.ReplyCrisis {
		t.Fatalf("first reply kind %v, want crisis; got:\n%s", c.out.Replies[0].Kind, out)
	}
	c.expect(out, "12356", "110", "120")
	if strings.Contains(out, "没看懂") {
		t.Errorf("the hotlines were followed by a not-understood line:\n%s", out)
	}
	c.at("demo.platform") // words of despair are no platform name: the question is asked again, gently
}

func TestEngineCommands(t *testing.T) {
	c := newChat(t)
	c.expect(c.send("你好"), "欢迎", "请选择")
	c.expect(c.send("/law"), "法条如下", "第一千零三十三条", "请选择")
	c.expect(c.send("/channels"), "渠道如下", "12378")
	c.expect(c.send("/help"), "/back 撤回上一个回答", "请选择")
	c.send("/start demo")
	c.send("1")
	c.expect(c.send("/cancel"), "已取消，回到主菜单")
	c.expect(c.send("/delete"), "确定要删除", "[确认删除]")
	c.expect(c.send("不了"), "已取消删除")
	if c.st.Vars["kind"] != "bank" {
		t.Error("cancelled delete lost data")
	}
	c.send("/delete")
	c.expect(c.send("1"), "你的数据已经删除")
	if len(c.out.Actions) != 1 || c.out.Actions[0].Kind != domain.DoErase || c.st.Vars != nil {
		t.Errorf("erase: actions %v, state %+v", c.out.Actions, c.st)
	}
	c.send("/start demo")
	c.send("1")
	c.expect(c.send("/restart"), "从头开始", "欢迎")
	if len(c.st.Vars) != 0 || len(c.st.History) != 0 {
		t.Errorf("restart kept %v", c.st)
	}
}

func TestEngineFlowsChangedUnderSession(t *testing.T) {
	c := newChat(t)
	st := flow.State{Schema: flow.SchemaVersion, Flow: "demo", Step: "removed_step", Vars: map[string]string{"platform": "x"}}
	out := c.e.Handle(st, domain.Event{Kind: domain.EventText, Text: "1"})
	c.expect(joined(out.Replies), "指南内容已经更新", "请选择")
	if out.State.Step != flow.MenuStep || out.State.Vars["platform"] != "x" {
		t.Errorf("state %+v", out.State)
	}
	st.Flow = "gone_flow"
	out = c.e.Handle(st, domain.Event{Kind: domain.EventPick, Ref: "1", Index: 0})
	c.expect(joined(out.Replies), "指南内容已经更新")
}

func TestEngineAttachmentAndUnsupported(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	out := c.e.Handle(c.st, domain.Event{Kind: domain.EventAttachment, Attachment: &domain.Attachment{ID: "f1", Size: 10}})
	if len(out.Actions) != 1 || out.Actions[0].Kind != domain.DoEvidenceAdd || out.Actions[0].Attachment.ID != "f1" {
		t.Errorf("attachment actions %v", out.Actions)
	}
	out = c.e.Handle(c.st, domain.Event{Kind: domain.EventUnsupported})
	c.expect(joined(out.Replies), "图片、截图、录音、视频和文件")
	if out.State.Step != "pick" {
		t.Error("unsupported input moved the conversation")
	}
}

func TestEngineHistoryIsBounded(t *testing.T) {
	c := newChat(t)
	for i := 0; i < 50; i++ {
		c.send("/start demo")
		c.send("1")
	}
	if n := len(c.st.History); n > 30 {
		t.Errorf("history grew to %d", n)
	}
}

// BenchmarkTurn measures one ordinary engine turn on the shipped flows: a
// typed option at the borrower's five-step list, which renders the step.
func BenchmarkTurn(b *testing.B) {
	set := shippedSet(b)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	st := e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: "/start borrower"}).State
	st = e.Handle(st, domain.Event{Kind: domain.EventText, Text: "2"}).State
	ev := domain.Event{Kind: domain.EventText, Text: "4"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out := e.Handle(st, ev)
		if len(out.Replies) == 0 {
			b.Fatal("no reply")
		}
	}
}

// An old button pressed while /delete waits for confirmation must not
// confirm it, and the reshown question must not erase anything either.
func TestStalePressCancelsPendingDelete(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	old := c.out.Replies[len(c.out.Replies)-1].Ref
	c.send("1")
	c.send("/delete")
	c.expect(c.press(old, 0), "这个按钮已过期")
	if c.st.Pending != "" {
		t.Fatal("a stale press left the delete confirmation pending")
	}
	ref := c.out.Replies[len(c.out.Replies)-1].Ref
	c.press(ref, 0)
	for _, a := range c.out.Actions {
		if a.Kind == domain.DoErase {
			t.Fatal("pressing the reshown question erased the data")
		}
	}
	c.send("/delete")
	c.expect(c.send("1"), "你的数据已经删除") // the real confirmation still works
}

func TestCrisisWordsInLongTextAndCaptions(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	out := c.send("我不想活了" + strings.Repeat("。", flow.MaxInputRunes))
	c.expect(out, "12356", "太长了")
	o := c.e.Handle(c.st, domain.Event{Kind: domain.EventAttachment, Attachment: &domain.Attachment{ID: "x", Caption: "我想死"}})
	c.expect(joined(o.Replies), "12356")
}

// At a step with action: evidence, a pasted message is evidence, not a
// wrong answer; a short typo is still a wrong answer.
func TestPastedTextAtTheEvidenceStep(t *testing.T) {
	set := mustLoad(t, evidenceDemo)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	st := e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: "/start demo"}).State
	out := e.Handle(st, domain.Event{Kind: domain.EventText, Text: "【闪电贷】您的朋友张三借款已逾期，请转告"})
	if len(out.Actions) != 1 || out.Actions[0].Kind != domain.DoEvidenceAdd || out.Actions[0].Attachment.Text == "" {
		t.Fatalf("pasted text: %+v", out.Actions)
	}
	out = e.Handle(st, domain.Event{Kind: domain.EventText, Text: "发"})
	if len(out.Actions) != 0 || !strings.Contains(joined(out.Replies), "没看懂这句话") {
		t.Fatalf("short text: %+v %s", out.Actions, joined(out.Replies))
	}
}

// Replies that are no answer are never saved as one (flows/README.md).
func TestEngineNonAnswers(t *testing.T) {
	c := newChat(t)
	c.send("/start demo")
	c.expect(c.send("好的"), "请在下面选一项", "你的借款来自哪一类")
	c.send("1")
	c.expect(c.send("谢谢您"), "不客气", "平台叫什么")
	c.expect(c.send("菜单"), "请选择", "[测试]") // the test set's main menu
	c.send("/start demo")
	c.send("1")
	c.expect(c.send("我也不知道是哪个平台"), "先跳过", "催收号码是多少")
	if _, had := c.st.Vars["platform"]; had && c.st.Vars["platform"] != "" {
		t.Errorf("a skip saved the platform %q", c.st.Vars["platform"])
	}
	c.expect(c.send("不知道"), "需要一个回答", "催收号码是多少") // required: asked again
	c.expect(c.send("返回"), "撤回了上一个回答", "平台叫什么")
	c.send("闪电贷")
	c.send("13311112222")
	c.expect(c.send("3"), "找 12378") // at a number question a number is the answer
	if c.st.Vars["times"] != "3" || c.st.Vars["platform"] != "闪电贷" {
		t.Errorf("answers: %v", c.st.Vars)
	}
}
