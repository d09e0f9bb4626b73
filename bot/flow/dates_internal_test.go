package flow

import (
	"testing"
	"time"
)

// 今天 is Beijing's day: at 01:30 in Beijing (17:30 UTC the day before) a
// server in UTC must not give yesterday's date.
func TestDatesUseBeijingTime(t *testing.T) {
	now := time.Date(2026, 3, 9, 17, 30, 0, 0, time.UTC) // 2026-03-10 01:30 in Beijing
	for in, want := range map[string]string{"今天": "2026-03-10", "昨天": "2026-03-09", "3月10日": "2026-03-10"} {
		if got, p := normalizeDate(in, now, false); got != want {
			t.Errorf("%q at %s = %q (%s), want %q", in, now, got, p, want)
		}
	}
}

func TestApproximateDates(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, beijing)
	cases := []struct{ in, want string }{ // want "" = refused
		{"去年10月", "2025-10"},
		{"2023年10月", "2023-10"},
		{"2023/10", "2023-10"},
		{"10月中旬", "2026-10 中旬"},
		{"十月初", "2026-10 上旬"},
		{"3月底", "2026-03 下旬"},
		{"上个月", "2026-11"},
		{"上个月底", "2026-11 下旬"},
		{"这个月初", "2026-12 上旬"},
		{"去年", "2025"},
		{"前年3月份", "2024-03"},
		{"2023年", "2023"},
		{"2026-11-03", "2026-11-03"},
		{"昨天", "2026-12-01"},
		{"明年3月", ""},
		{"2027年1月", ""},
		{"13月", ""},
		{"1999年5月", ""},
		{"很久以前", ""},
	}
	for _, tc := range cases {
		got, problem := normalizeDate(tc.in, now, true)
		if got != tc.want {
			t.Errorf("%q = %q (%s), want %q", tc.in, got, problem, tc.want)
		}
		if (got == "") != (problem != "") {
			t.Errorf("%q: value %q with problem %q", tc.in, got, problem)
		}
	}
	// Where the question wants a day, a month is refused with a hint.
	if got, p := normalizeDate("去年10月", now, false); got != "" || p == "" {
		t.Errorf("exact date question took %q", got)
	}
}

func TestChineseDateKeepsPrecision(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-15": "2026年3月15日",
		"2023-10":    "2023年10月",
		"2026-10 中旬": "2026年10月中旬",
		"2025":       "2025年",
		"":           "",
		"不知道":        "",
	} {
		if got := ChineseDate(in); got != want {
			t.Errorf("ChineseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDateOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"2026-01-30", "2025-12-20", 1},
		{"2025-12-20", "2026-01", -1},
		{"2026-01", "2026-01-30", 0},
		{"2026-01 中旬", "2026-01-05", 0},
		{"2025", "2025-06-01", 0},
	} {
		if got := dateOrder(tc.a, tc.b); got != tc.want {
			t.Errorf("dateOrder(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
