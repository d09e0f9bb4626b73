package flows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

// TestAlsoMentioned: a first message about one topic that names a second
// fear by its keyword gets a button for it; on the held-out messages, which
// are about one topic each, such a button is rare (it is noise there).
func TestAlsoMentioned(t *testing.T) {
	set := loadSet(t)
	e := flow.NewEngine(set, func() time.Time { return testNow })
	also := func(text string) string {
		return e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: text}).State.Also
	}
	for text, want := range map[string]string{
		"我网贷逾期了，催收把我通讯录全打了，还说我是诈骗犯要抓我，我都不敢上班了怎么办啊": "jail_fraud",
		"我的通讯录被爆了": "",
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
	if offered*10 > n {
		t.Errorf("a second topic offered on %d of %d one-topic messages: too often", offered, n)
	}
}
