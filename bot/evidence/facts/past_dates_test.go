package facts_test

import (
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/evidence/facts"
)

// Evidence shows the past: a date without a year is never put in the future.
func TestDatesWithoutYearAreNeverInTheFuture(t *testing.T) {
	ref := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var r *facts.Rules
	for in, want := range map[string]string{
		"3月14日 10:00 来电":  "2026-03-14 10:00",
		"12月30日 催收短信":     "2025-12-30",
		"11月28日 打过电话":     "2026-11-28", // a day of slack for time zones
		"11月27日 今天的短信":    "2026-11-27",
		"2027年1月1日 写明年份的": "2027-01-01", // an explicit year is kept as written
	} {
		got := r.Extract(in, ref).Dates
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: %v, want %s", in, got, want)
		}
	}
}
