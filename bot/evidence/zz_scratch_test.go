package evidence_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/content"
)

func TestScratchScore(t *testing.T) {
	dir := os.Getenv("SCORE_DIR")
	if dir == "" {
		t.Skip()
	}
	rules, _ := facts.LoadRules(content.FS, facts.RulesFile)
	truth, names := loadOCRTruth(t)
	for _, suffix := range []string{"", "_tg"} {
		tallies := map[string]*tally{}
		for _, f := range ocrFields {
			tallies[f] = &tally{}
		}
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(dir, name+suffix+".txt"))
			if err != nil {
				continue
			}
			want := truth[name]
			f := rules.Extract(string(data), want.Ref)
			for _, field := range ocrFields {
				got, exp := fieldOf(f, field), truthOf(want, field)
				tl := tallies[field]
				tl.got += len(got)
				tl.want += len(exp)
				var missed, extra []string
				for _, g := range got {
					if slices.Contains(exp, g) {
						tl.hit++
					} else {
						extra = append(extra, g)
					}
				}
				for _, w := range exp {
					if !slices.Contains(got, w) {
						missed = append(missed, w)
					}
				}
				if len(missed)+len(extra) > 0 && os.Getenv("QUIET") == "" {
					fmt.Printf("  %s%s %s: missed %q, wrong %q\n", name, suffix, field, missed, extra)
				}
			}
		}
		for _, field := range ocrFields {
			tl := tallies[field]
			fmt.Printf("SCORE %s %-9s P %.2f (%d/%d) R %.2f (%d/%d)\n", map[string]string{"": "png", "_tg": "tg "}[suffix], field, ratio(tl.hit, tl.got), tl.hit, tl.got, ratio(tl.hit, tl.want), tl.hit, tl.want)
		}
	}
}
