package flows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/console"
	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

const twoFears = "我网贷逾期了，催收把我通讯录全打了，还说我是诈骗犯要抓我，我都不敢上班了怎么办啊"

// TestAlsoMentioned: a first message about one topic that names a second
// fear by one of its also_keywords gets a button for it; on the held-out
// messages, written about one topic each, such a button is rare.
func TestAlsoMentioned(t *testing.T) {
	set := loadSet(t)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	also := func(text string) string {
		return e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: text}).State.Also
	}
	for text, want := range map[string]string{
		twoFears:   "jail_fraud",
		"我的通讯录被爆了": "",
		"派出所说这是经济纠纷不给立案怎么办": "", // 立案 of a police report is no fear of jail
	} {
		if got := also(text); got != want {
			t.Errorf("%q: also %q, want %q", text, got, want)
		}
	}
	h := loadHeldout(t)
	n, offered := 0, 0
	for _, msgs := range h.Intents {
		for _, m := range msgs {
			n++
			if also(m) != "" {
				offered++
			}
		}
	}
	fmt.Printf("FIGURE understanding, a second topic offered on %d of %d held-out one-topic first messages\n", offered, n)
	if offered*20 > n {
		t.Errorf("a second topic offered on %d of %d one-topic messages: too often", offered, n)
	}
}

// The "也看看" button: the last button of every step that is no form
// question, until the person goes there or to the menu; pressing it keeps
// the form question a detour interrupted; a part of its label picks nothing.
func TestAlsoButtonLifecycle(t *testing.T) {
	set := loadSet(t)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	var st flow.State
	send := func(text string) string {
		t.Helper()
		out := e.Handle(st, domain.Event{Kind: domain.EventText, Text: text})
		st = out.State
		return console.Render(out.Replies)
	}
	const button = "也看看：不还钱会坐牢吗"
	if got := send(twoFears); !strings.Contains(got, "4. "+button) {
		t.Fatalf("no button after the first message:\n%s", got)
	}
	if got := send("不还钱"); strings.Contains(got, "担心会不会坐牢") {
		t.Errorf("a part of the button's label pressed it:\n%s", got)
	}
	send("/menu")
	if st.Also != "" {
		t.Errorf("the menu lists everything: Also %q kept", st.Also)
	}

	// In a form: the detour keeps the question, the button is not shown at
	// it, and pressing the button elsewhere keeps the way back to it.
	send("/draft")
	send("先补充案件信息")
	if got := send(twoFears); !strings.Contains(got, button) || st.Resume != "drafts.facts_loan" {
		t.Fatalf("detour from the form: resume %q\n%s", st.Resume, got)
	}
	if got := send(button); !strings.Contains(got, "担心会不会坐牢") || st.Also != "" || st.Resume != "drafts.facts_loan" {
		t.Fatalf("pressing the button: also %q, resume %q\n%s", st.Also, st.Resume, got)
	}
	if got := send("继续刚才的步骤"); !strings.Contains(got, "借款是哪天借的") || strings.Contains(got, button) {
		t.Errorf("back at the form question:\n%s", got)
	}
}
