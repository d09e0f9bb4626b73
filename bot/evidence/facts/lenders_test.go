package facts_test

import (
	"slices"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/evidence/facts"
)

// TestPlatformsInRunningText: a platform named only inside a sentence is
// found when it is a known name or ends like a lender's name, and sits
// between 在/是… and a cue like 的账单; generic words are not names.
func TestPlatformsInRunningText(t *testing.T) {
	rules := &facts.Rules{Platforms: []string{"闪电贷", "有钱花", "花呗", "分期乐"}}
	cases := []struct {
		text string
		want []string
	}{
		{"你在花花分期的账单已逾期", []string{"花花分期"}},
		{"你在花花\n分期的账单已逾期", []string{"花花分期"}},
		{"我是橙子白条的委外催收员", []string{"橙子白条"}},
		{"你好，这里是好运贷贷后部门", []string{"好运贷"}},
		{"你在融易花和米粒借的欠款合计6,800.00元", []string{"融易花", "米粒借"}},
		{"你在米粒借还有一笔2,600元也逾期了", []string{"米粒借"}},
		{"说你在花花分期借了钱不还", []string{"花花分期"}},
		{"你在极速钱包的借款本金5,000.00元", []string{"极速钱包"}},
		{"4006789012\n好运贷客服\n", []string{"好运贷"}},
		{"你在内电贷的借款", []string{"闪电贷"}}, // one character misread
		{"你在360借条的借款", []string{"360借条"}},
		{"你在橙子白条的分期账单\n我是棍子白条的委外催收员", []string{"橙子白条"}},
		{"我是棍子白条的委外催收员\n你在橙子白条的分期账单\n橙子白条客服", []string{"橙子白条"}},
		{"你在米粒借的账单\n你在米粒贷的账单", []string{"米粒借", "米粒贷"}}, // too short to merge
		// not names
		{"您在本平台的借款已逾期", nil},
		{"您在我司的借款已逾期2天", nil},
		{"你在我们平台的借款已经逾期12天了", nil},
		{"你在网贷平台的欠款", nil},
		{"你是不是在好几个平台借了钱", nil},
		{"他在银行的贷款", nil},
		{"我在外面借了钱", nil},
		{"在拼多多借的", nil},
		{"这是高利贷的借款", nil},
		{"在淘宝花了5000元", nil},
		{"向亲戚借的钱", nil},
		{"在3000借的", nil},
		{"现金分期账单\n消费分期客服", nil},
		{"在某某贷的借款", nil},
		{"是网贷的账单", nil},
	}
	for _, c := range cases {
		if got := rules.Extract(c.text, time.Time{}).Platforms; !slices.Equal(got, c.want) {
			t.Errorf("%q: platforms %q, want %q", c.text, got, c.want)
		}
	}
}
