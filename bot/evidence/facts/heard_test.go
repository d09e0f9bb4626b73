package facts_test

import (
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/content"
)

func TestHeard(t *testing.T) {
	rules, err := facts.LoadRules(content.FS, "evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	got := rules.Heard("我在闪电贷借了3000元，10月5日逾期，催收13311112222天天打我妈和我领导电话", ref)
	want := map[string]string{
		"heard_platform":  "闪电贷",
		"heard_amount":    "3000元",
		"heard_date":      "2026-10-05",
		"heard_phone":     "13311112222",
		"heard_contacted": "家人和领导",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if got := rules.Heard("同事和朋友都被打了", ref)["heard_contacted"]; got != "朋友和同事" {
		t.Errorf("contacted %q", got)
	}
	if got := rules.Heard("他们打了我同事和领导", ref)["heard_contacted"]; got != "同事、领导" {
		t.Errorf("contacted %q", got)
	}
	for text, want := range map[string]string{
		"不是闪电贷，是融易花的催收在打我家人电话": "融易花",
		"我没在闪电贷借过，是有钱花":        "有钱花",
		"不是闪电贷":          "",
		"闪电贷说不是闪电贷的人打的":  "闪电贷", // named once without a negation
		"不是在闪电贷借的，是在有钱花": "有钱花",
		"催收是不是闪电贷的？":     "闪电贷", // a question, not a denial
	} {
		if got := rules.Heard(text, ref)["heard_platform"]; got != want {
			t.Errorf("Heard(%q) platform %q, want %q", text, got, want)
		}
	}
	if got := rules.Heard("你好", ref); len(got) != 0 {
		t.Errorf("a greeting held facts: %v", got)
	}
}
