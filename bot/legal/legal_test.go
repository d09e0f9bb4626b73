package legal_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/anning-bot/anning/bot/legal"
)

func TestLoadListsEveryContentProblem(t *testing.T) {
	fsys := fstest.MapFS{
		"statutes.yaml": {Data: []byte(`statutes:
  - id: civil-code-1033
    law: 中华人民共和国民法典
    article: 第一千零三十三条
    summary: 概括
    text: 原文
    version: 2020
    effective: 2021-01-01
    source: LawRefBook
    checked: 2026-11-27
    confidence: M
    status: current
  - id: civil-code-1033
    law: 中华人民共和国民法典
    artcle: 第一千零三十三条
    status: retired
`)},
		"channels.yaml": {Data: []byte("channels:\n  - id: Bad Id\n    name: x\n")},
		"safety.yaml":   {Data: []byte("words: []\n")},
	}
	_, err := legal.Load(fsys)
	if err == nil {
		t.Fatal("broken content accepted")
	}
	for _, want := range []string{
		`statutes.yaml:2:5: statute "civil-code-1033" has confidence "M" (hint: only verbatim (V) or cross-checked (S) texts may be cited)`,
		`statutes.yaml:15:5: unknown key "artcle" in a statute (hint: did you mean "article"?)`,
		`statutes.yaml:13:5: duplicate statute id "civil-code-1033"`,
		`statutes.yaml:13:5: statute civil-code-1033: missing text`,
		`retired statute "civil-code-1033" needs replaced_by`,
		`channels.yaml:2:5: bad channel id "Bad Id"`,
		`channel Bad Id: missing how`,
		`safety.yaml:1: safety needs words and a message`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}

func TestLoadMissingFiles(t *testing.T) {
	_, err := legal.Load(fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), "statutes.yaml: cannot read") || !strings.Contains(err.Error(), "safety.yaml: cannot read") {
		t.Fatalf("err = %v", err)
	}
}

// A broken pattern is reported at its line, with a hint.
func TestSafetyBadPattern(t *testing.T) {
	fsys := fstest.MapFS{
		"statutes.yaml": {Data: []byte("statutes: []\n")},
		"channels.yaml": {Data: []byte("channels: []\n")},
		"safety.yaml":   {Data: []byte("words: [不想活]\npatterns:\n  - 活着(没\nmessage: x\n")},
	}
	_, err := legal.Load(fsys)
	if err == nil || !strings.Contains(err.Error(), "safety.yaml:3:5: bad pattern") {
		t.Fatalf("a broken pattern was not reported at its line: %v", err)
	}
}
