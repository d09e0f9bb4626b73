package draft_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/content"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func templates(t testing.TB) *draft.Templates {
	t.Helper()
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := draft.LoadTemplates(content.FS, lib)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// fixtureCase is a case a person can reach: the answers of the drafts flow
// (harassment since 2025年12月, disclosed, insults and threats to expose,
// a microloan platform, a relative who gave no guarantee) and the variables
// the draft service derives from them, as it derives them.
func fixtureCase() draft.Case {
	received := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	return draft.Case{
		Vars: map[string]string{
			"platform": "闪电贷", "collector_phones": "13812345678、021-61234567", "first_date": "2025年12月", "before_2026": "yes",
			"abuse_sentence": "对方在联系中还有辱骂、扬言曝光的言行。", "insult": "yes", "threat": "expose",
			"contacted": "家人和同事", "disclosed": "yes", "disclosure": "，向他们透露借款的情况",
			"disclosure_claim": "停止向第三人透露原告的借款信息、", "disclosure_demand": "不得再向任何第三人透露本人的借款信息；",
			"lender_label": "网络小额贷款公司", "regulator": "所在省的地方金融管理部门", "relation": "家人", "relative_liable": "no",
		},
		Evidence: []draft.EvidenceRow{
			{N: 1, Time: received, Type: "图片", SHA256: "52876b2e0a3c4f5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"},
			{N: 2, Time: received.Add(time.Minute), Type: "文字消息", SHA256: "66c99bc71122334455667788990011223344556677889900aabbccddeeff0011", Said: "2026-11-19 21:40"},
		},
		Now: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC),
	}
}

// Golden files hold the text of every draft kind; -update rewrites them.
func TestGoldenTextOfEveryKind(t *testing.T) {
	tpl := templates(t)
	if len(tpl.Kinds) < 6 {
		t.Fatalf("only %d draft kinds", len(tpl.Kinds))
	}
	for _, k := range tpl.Kinds {
		d, err := tpl.Build(k.ID, fixtureCase())
		if err != nil {
			t.Fatal(err)
		}
		got := draft.Text(d)
		path := filepath.Join("testdata", "golden", k.ID+".txt")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/draft -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s:\n%s", k.ID, path, got)
		}
	}
}

// Facts are never invented: what is missing stays visible as 【请填写：…】,
// and a person's answer is inserted literally.
func TestMissingFactsArePlaceholders(t *testing.T) {
	tpl := templates(t)
	d, err := tpl.Build("police-report", draft.Case{Vars: map[string]string{"platform": "{{name}}<b>"}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	text := draft.Text(d)
	for _, want := range []string{"【请填写：姓名】", "【请填写：催收电话】", "{{name}}<b>", "【请填写：证据清单", "《中华人民共和国治安管理处罚法》第五十条"} {
		if !strings.Contains(text, want) {
			t.Errorf("police report lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"第二百九十三条之一", "非法债务", "透露本人的借款情况", "辱骂", "禁止接触本人及亲属"} {
		if strings.Contains(text, bad) {
			t.Errorf("the police report says %q, which the person never said:\n%s", bad, text)
		}
	}
	// 刑法第二百九十三条之一 needs an illegal debt: only when the person
	// says the lender may be unlicensed and the rate above 36 %, and then
	// only as their belief.
	d, _ = tpl.Build("police-report", draft.Case{Vars: map[string]string{"illegal_debt": "maybe"}, Now: time.Now()})
	if text := draft.Text(d); !strings.Contains(text, "第二百九十三条之一") || !strings.Contains(text, "本人认为这笔借款可能属于") {
		t.Errorf("the person's belief about an illegal debt is missing:\n%s", text)
	}
	if _, err := tpl.Build("nope", draft.Case{}); err == nil {
		t.Error("unknown kind built")
	}
}

// Every statute quoted in a draft is the verbatim text of content/.
func TestQuotesAreVerbatim(t *testing.T) {
	lib, _ := legal.Load(content.FS)
	tpl := templates(t)
	for _, k := range tpl.Kinds {
		d, _ := tpl.Build(k.ID, draft.Case{Vars: map[string]string{"illegal_debt": "maybe", "disclosed": "yes", "abuse": "yes"}, Now: time.Now()})
		for _, b := range d.Blocks {
			if b.Kind != draft.Quote {
				continue
			}
			found := false
			for _, s := range lib.Statutes {
				if "《"+s.Law+"》"+s.Article == b.Text {
					found = true
					if strings.Join(b.Items, "\n") != strings.ReplaceAll(s.Text, "\n\n", "\n") {
						t.Errorf("%s: %s not verbatim", k.ID, b.Text)
					}
					if s.Retired() {
						t.Errorf("%s cites retired %s", k.ID, s.ID)
					}
				}
			}
			if !found {
				t.Errorf("%s quotes %s, which is not in content/", k.ID, b.Text)
			}
		}
	}
}

// The Heimao form fields stay within their (conservative) lengths whatever
// the person typed.
func TestHeimaoFieldsStayWithinLimits(t *testing.T) {
	tpl := templates(t)
	long := strings.Repeat("很长", 400)
	d, err := tpl.Build("heimao", draft.Case{Vars: map[string]string{"platform": long, "frequency": long}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]int{"投诉标题（不超过 20 字）": 20, "投诉内容（不超过 500 字）": 500, "投诉要求（不超过 50 字）": 50}
	checked := 0
	for i, b := range d.Blocks {
		if max, ok := limits[b.Text]; ok && b.Kind == draft.Heading {
			body := d.Blocks[i+1].Text
			if n := len([]rune(body)); n > max {
				t.Errorf("%s: %d characters", b.Text, n)
			}
			if max == 20 && !strings.HasSuffix(body, "…") {
				t.Errorf("a cut title must show it was cut: %q", body)
			}
			checked++
		}
	}
	if checked != 3 {
		t.Fatalf("checked %d fields", checked)
	}
}
