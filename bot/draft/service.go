package draft

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

// EvidenceSummary is what the evidence ledger contributes to a draft.
type EvidenceSummary struct {
	Rows      []EvidenceRow
	Phones    []string // numbers read from the evidence, without those shown as a relative's
	Dates     []string // "2024-03-15 09:21" or "2024-03-15", as read from the evidence
	Conduct   []string // plain Chinese labels
	Platforms []string
	Pending   int // items whose text is still being read (OCR)
}

// Evidence gives a person's evidence summary; *evidence.Service does.
type Evidence interface {
	Summary(ctx context.Context, user string) (EvidenceSummary, error)
}

// Service is the runner's action for flow steps with `action: draft`.
type Service struct {
	Templates *Templates
	Evidence  Evidence // may be nil
	Now       func() time.Time
	Meter     Meter // optional
}

// Meter counts drafts for the operator's metrics.
type Meter interface {
	Draft(kind string)
}

// Act builds the draft named by the step's `with: {kind: ...}` from the
// person's answers and evidence, as a chat message and a DOCX document.
func (s *Service) Act(ctx context.Context, user string, a domain.Action, st flow.State) ([]domain.Reply, error) {
	kind := a.With["kind"]
	c := Case{Vars: map[string]string{}, Now: s.Now()}
	for k, v := range st.Vars {
		c.Vars[k] = v
	}
	deriveAnswers(c.Vars)
	pending := 0
	if s.Evidence != nil {
		sum, err := s.Evidence.Summary(ctx, user)
		if err != nil {
			return nil, err
		}
		c.Evidence = sum.Rows
		pending = sum.Pending
		// What was read from the evidence goes into a draft only as far as
		// the person confirmed it: the numbers and the platform, when they
		// said so in the drafts flow. Dates and kinds of conduct read by the
		// machine are never written as the person's allegations: the start
		// date and the conduct come from their answers.
		if c.Vars["evidence_facts"] == "yes" {
			derive(c.Vars, sum)
		}
		for i := range c.Evidence {
			c.Evidence[i].Note = "" // machine-read labels are no allegation
		}
	}
	deriveLender(c.Vars)
	doc, err := s.Templates.Build(kind, c)
	if err != nil {
		return nil, err
	}
	replies := []domain.Reply{{Kind: domain.ReplyNotice, Text: Text(doc)}}
	if pending > 0 {
		replies = append(replies, domain.Reply{Kind: domain.ReplyNotice, Text: fmt.Sprintf(msgPending, pending)})
	}
	data, err := DOCX(doc, c.Now)
	if err != nil {
		return replies, err
	}
	name := fmt.Sprintf("%s-%s.docx", doc.Title, c.Now.In(beijing).Format("20060102"))
	replies = append(replies, domain.Reply{Kind: domain.ReplyNotice, File: &domain.File{Name: name, Data: data},
		Text: "同一份草稿的 Word 文件。请先把【请填写】的地方补全、核对事实，再发送或打印。这是自助文书草稿，不是律师意见。"})
	if s.Meter != nil {
		s.Meter.Draft(kind)
	}
	return replies, nil
}

// msgPending: a draft made while screenshots are still being read lacks
// what they show.
const msgPending = "还有 %d 份证据正在识别，这份草稿里还没有它们的内容。识别完成后（通常一两分钟）可以再生成一次。"

// derive fills the facts a template may use from the evidence the person
// confirmed, unless they already gave them.
func derive(vars map[string]string, sum EvidenceSummary) {
	set := func(k, v string) {
		if vars[k] == "" && v != "" {
			vars[k] = v
		}
	}
	// One document names one platform: with several, the flow asked which.
	if len(sum.Platforms) == 1 {
		set("platform", sum.Platforms[0])
	}
	set("collector_phones", vars["collector_phone"])
	if len(sum.Phones) > 0 {
		set("collector_phones", strings.Join(sum.Phones, "、"))
	}
}

// deriveAnswers turns the person's own answers into the words the
// templates use; their answers win over what evidence suggests.
func deriveAnswers(vars map[string]string) {
	// Compared at the answer's own precision: "2026-01" (a month) or "2026"
	// (a year) is not before 2026-01-01, "2025-12" is.
	if first, _, _ := strings.Cut(vars["first_contact"], " "); first != "" && first < "2026-01-01"[:min(len(first), 10)] {
		vars["before_2026"] = "yes"
	}
	for from, to := range map[string]string{"first_contact": "first_date", "loan_date": "loan_date", "overdue_date": "overdue_date"} {
		// Answers keep their precision: 2023年10月, 10月中旬, 2026年3月15日.
		if d := flow.ChineseDate(vars[from]); d != "" {
			vars[to] = d
		}
	}
	// Only what the person said: disclosure of the debt and abuse are
	// written only when they answered yes.
	if vars["disclosed"] == "yes" {
		vars["disclosure"] = "，向他们透露借款的情况"
		vars["disclosure_claim"] = "停止向第三人透露原告的借款信息、"
		vars["disclosure_demand"] = "不得再向任何第三人透露本人的借款信息；"
		vars["disclosure_supervise"] = "督促被投诉机构及其委托的催收人员不得再向第三人透露本人的借款信息；"
	}
	var said []string
	if vars["insult"] == "yes" {
		said = append(said, "辱骂")
	}
	switch vars["threat"] {
	case "safety":
		said = append(said, "威胁人身安全")
	case "expose":
		said = append(said, "扬言曝光")
	case "both":
		said = append(said, "威胁人身安全", "扬言曝光")
	}
	if len(said) > 0 {
		vars["abuse_sentence"] = "对方在联系中还有" + strings.Join(said, "、") + "的言行。"
	}
}

// maskPhones hides the middle of each number for public pages (黑猫投诉):
// a collector's mobile number is their personal information too.
func maskPhones(list string) string {
	parts := strings.Split(list, "、")
	for i, p := range parts {
		if r := []rune(p); len(r) >= 7 {
			parts[i] = string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
		}
	}
	return strings.Join(parts, "、")
}

func deriveLender(vars map[string]string) {
	if vars["collector_phones"] == "" && vars["collector_phone"] != "" {
		vars["collector_phones"] = vars["collector_phone"]
	}
	if vars["lender_kind"] == "unlicensed" {
		vars["lender_label"] = "个人或资质不明的放贷方"
	}
	switch vars["lender_kind"] {
	case "licensed":
		vars["lender_label"], vars["regulator"] = "银行或消费金融公司", "国家金融监督管理总局（12378）"
	case "microloan":
		vars["lender_label"], vars["regulator"] = "网络小额贷款公司", "所在省的地方金融管理部门"
	}
}
