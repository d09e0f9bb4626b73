package facts_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	dateShape   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$`)
	amountShape = regexp.MustCompile(`^\d+(\.\d{1,2})?元$`)
)

func FuzzExtract(f *testing.F) {
	rules := loadRules(f)
	for _, name := range []string{"fixtures/sms1.gt.txt", "fixtures/wechat2.gt.txt", "fixtures/calllog3.gt.txt", "ocr/sms1_tg.txt", "ocr/wechat2.txt"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{"", "021-61\n234567", "6222 0210 0112 3456 7\n89", "+86 1 3 8", "((((0", "0086-", "【】【", "[]】",
		"2024年13月40日 下午99:99", "昨天", "¥,,,元", "1.2.3.4万", "\xff\xfe１３８１２３４５６７８", "9999999999999999999999999万元"} {
		f.Add(s)
	}
	ref := time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		got := rules.Extract(text, ref)
		seen := map[string]bool{}
		for _, p := range got.Phones {
			re, ok := kindPattern[p.Kind]
			if !ok || !re.MatchString(p.Number) {
				t.Errorf("phone %+v does not match its kind", p)
			}
			if seen[p.Number] {
				t.Errorf("phone %s twice", p.Number)
			}
			seen[p.Number] = true
		}
		for _, d := range got.Dates {
			if _, err := time.Parse("2006-01-02", d[:min(len(d), 10)]); err != nil || !dateShape.MatchString(d) {
				t.Errorf("date %q", d)
			}
		}
		for _, a := range got.Amounts {
			if !amountShape.MatchString(a) {
				t.Errorf("amount %q", a)
			}
		}
		for _, p := range got.Platforms {
			if strings.TrimSpace(p) == "" {
				t.Error("empty platform")
			}
		}
		for _, c := range got.Conduct {
			if c.ID == "" || c.Evidence == "" || len(c.Statutes) == 0 {
				t.Errorf("conduct %+v", c)
			}
		}
		if zero := rules.Extract(text, time.Time{}); len(zero.Dates) > len(got.Dates) {
			t.Errorf("more dates without a reference day: %q vs %q", zero.Dates, got.Dates)
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	rules := loadRules(b)
	text := readFile(b, "testdata/ocr/sms1.txt")
	ref := time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		rules.Extract(text, ref)
	}
}
