package flow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

// The privacy notice states the deployment's own retention, not fixed
// numbers: SESSION_TTL, DATA_RETENTION and the reply keeping.
func TestPrivacyNoticeFollowsTheConfiguration(t *testing.T) {
	set := shippedSet(t)
	g := flow.Globals(72*time.Hour, 2160*time.Hour, 24*time.Hour, flow.Storage{Sessions: "redis", Evidence: "s3"})
	e := flow.NewEngine(set, func() time.Time { return testNow }).WithGlobals(g)
	st := e.Handle(flow.State{}, domain.Event{Kind: domain.EventText, Text: "/menu"}).State
	out := e.Handle(st, domain.Event{Kind: domain.EventText, Text: "关于“安宁”和隐私"})
	got := joined(out.Replies)
	for _, want := range []string{"3天没有新消息", "最多保存90天", "暂存不超过24小时", "数据库", "对象存储", "/delete"} {
		if !strings.Contains(got, want) {
			t.Errorf("privacy notice lacks %q:\n%s", want, got)
		}
	}
	if g := flow.Globals(0, 36*time.Hour, time.Hour, flow.Storage{}); g["keep_session"] != "直到你删除为止" || g["keep_evidence"] != "36小时" {
		t.Errorf("globals %v", g)
	}
}
