package flow

import (
	"testing"
	"time"
)

func TestAnswerKinds(t *testing.T) {
	now := time.Date(2026, 2, 10, 23, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cases := []struct {
		kind, in, want string // want "" = refused
	}{
		{KindPhone, "13812345678", "13812345678"},
		{KindPhone, "+86 138 1234 5678", "13812345678"},
		{KindPhone, "８６１３８１２３４５６７８", "13812345678"},
		{KindPhone, "021-61234567", "021-61234567"},
		{KindPhone, "0755 2654 3210", "0755-26543210"},
		{KindPhone, "(010)12345678", "010-12345678"},
		{KindPhone, "95188", "95188"},
		{KindPhone, "10690571234567", "10690571234567"},
		{KindPhone, "4008123123", "4008123123"},
		{KindPhone, "12345", ""},
		{KindPhone, "1381234567", ""},
		{KindPhone, "电话", ""},
		{KindDate, "2026-01-15", "2026-01-15"},
		{KindDate, "2026/1/5", "2026-01-05"},
		{KindDate, "2025年12月31日", "2025-12-31"},
		{KindDate, "1月3号", "2026-01-03"},
		{KindDate, "3月15日", "2025-03-15"}, // said in February: last year
		{KindDate, "今天", "2026-02-10"},
		{KindDate, "昨天", "2026-02-09"},
		{KindDate, "前天", "2026-02-08"},
		{KindDate, "2026-02-30", ""},
		{KindDate, "2026-13-01", ""},
		{KindDate, "2027-01-01", ""},
		{KindDate, "1999-01-01", ""},
		{KindDate, "上周", ""},
		{KindAmount, "8650", "8650"},
		{KindAmount, "8,650元", "8650"},
		{KindAmount, "￥8650.50", "8650.5"},
		{KindAmount, "1.5万", "15000"},
		{KindAmount, "3千块", "3000"},
		{KindAmount, "0", ""},
		{KindAmount, "很多", ""},
		{KindNumber, "3", "3"},
		{KindNumber, "３次", "3"},
		{KindNumber, "十二", "12"},
		{KindNumber, "二十", "20"},
		{KindNumber, "四十五次", "45"},
		{KindNumber, "好多", ""},
		{KindNumber, "-1", ""},
	}
	for _, tc := range cases {
		got, problem := checkAnswer(&Ask{Kind: tc.kind}, tc.in, now)
		if got != tc.want {
			t.Errorf("%s %q = %q (%s), want %q", tc.kind, tc.in, got, problem, tc.want)
		}
		if (got == "") != (problem != "") {
			t.Errorf("%s %q: value %q with problem %q", tc.kind, tc.in, got, problem)
		}
	}
}

func TestTextLimits(t *testing.T) {
	a := &Ask{Kind: KindText, Min: 2, Max: 4}
	for in, ok := range map[string]bool{"一": false, "一二": true, "一二三四": true, "一二三四五": false} {
		if _, p := checkAnswer(a, in, time.Now()); (p == "") != ok {
			t.Errorf("%q: problem %q", in, p)
		}
	}
}

func TestTemplateAndCondition(t *testing.T) {
	tpl, err := ParseTemplate("你好 {{name}}，平台 {{platform|该平台}}")
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Render(map[string]string{"name": "{{platform}}"}); got != "你好 {{platform}}，平台 该平台" {
		t.Errorf("render = %q", got)
	}
	for _, bad := range []string{"{{", "a }} b", "{{Name}}", "{{}}"} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
	c, err := ParseCond(`kind == "bank" and platform or not times`)
	if err != nil {
		t.Fatal(err)
	}
	for vars, want := range map[*map[string]string]bool{
		{"kind": "bank", "platform": "x", "times": "1"}: true,
		{"kind": "bank", "times": "1"}:                  false,
		{"kind": "micro"}:                               true,
	} {
		if got := c.Eval(*vars); got != want {
			t.Errorf("eval %v = %v", *vars, got)
		}
	}
	if got := c.Compared(); len(got) != 1 || got[0] != "kind" {
		t.Errorf("compared = %v", got)
	}
	for _, bad := range []string{"", "kind ==", "Kind == a", "a == b c", "1abc"} {
		if _, err := ParseCond(bad); err == nil {
			t.Errorf("condition %q accepted", bad)
		}
	}
}
