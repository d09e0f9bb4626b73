package draft_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/flow"
)

type fakeEvidence struct{ sum draft.EvidenceSummary }

func (f fakeEvidence) Summary(context.Context, string) (draft.EvidenceSummary, error) {
	return f.sum, nil
}

// What the evidence shows enters a draft only once the person said "写进去"
// in the drafts flow; machine-read dates and kinds of conduct never do, and
// a draft made while screenshots are being read says so.
func TestEvidenceFactsOnlyOnceConfirmed(t *testing.T) {
	s := &draft.Service{Templates: templates(t), Now: func() time.Time { return time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) },
		Evidence: fakeEvidence{draft.EvidenceSummary{
			Phones: []string{"13812345678"}, Platforms: []string{"速借宝"}, Dates: []string{"2024-02-01"},
			Conduct: []string{"冒充公检法、虚构刑事后果"}, Pending: 2,
			Rows: []draft.EvidenceRow{{N: 1, Time: time.Date(2024, 3, 18, 12, 0, 0, 0, time.UTC), Type: "图片", SHA256: strings.Repeat("a", 64), Note: "冒充公检法"}},
		}}}
	build := func(vars map[string]string) string {
		t.Helper()
		replies, err := s.Act(context.Background(), "u", domain.Action{Kind: domain.DoDraft, With: map[string]string{"kind": "police-report"}}, flow.State{Vars: vars})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range replies {
			b.WriteString(r.Text + "\n")
		}
		return b.String()
	}
	for _, vars := range []map[string]string{{}, {"facts_confirmed": "yes", "evidence_facts": "no"}, {"evidence_facts": "no"}} {
		got := build(vars)
		if strings.Contains(got, "13812345678") || strings.Contains(got, "速借宝") {
			t.Errorf("%v: unconfirmed evidence facts in the draft:\n%s", vars, got)
		}
	}
	got := build(map[string]string{"evidence_facts": "yes"})
	for _, want := range []string{"13812345678", "速借宝", "还有 2 份证据正在识别"} {
		if !strings.Contains(got, want) {
			t.Errorf("confirmed draft lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"冒充公检法", "2024年2月1日", "虚构刑事后果"} {
		if strings.Contains(got, bad) {
			t.Errorf("a machine-read date or label went into the draft (%q):\n%s", bad, got)
		}
	}
}

// 部分行为发生在2026年以前 only when the answer says so at its own precision:
// 今年1月中旬 (2026-01 中旬) is not before 2026-01-01; 2025年12月 is.
func TestBefore2026FollowsTheAnswersPrecision(t *testing.T) {
	s := &draft.Service{Templates: templates(t), Now: func() time.Time { return time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) }}
	for first, want := range map[string]bool{"2026-01 中旬": false, "2026-01": false, "2026": false, "2026-03-15": false, "2025-12": true, "2025": true, "2025-12-31": true} {
		replies, err := s.Act(context.Background(), "u", domain.Action{Kind: domain.DoDraft, With: map[string]string{"kind": "police-report"}},
			flow.State{Vars: map[string]string{"first_contact": first}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(replies[0].Text, "修订后的治安管理处罚法施行以前"); got != want {
			t.Errorf("first contact %q: old-law note %v, want %v", first, got, want)
		}
	}
}
