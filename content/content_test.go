package content_test

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/content"
	"github.com/anning-bot/anning/flows"
)

func TestContentLoads(t *testing.T) {
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Statutes) < 20 || len(lib.Channels) < 10 {
		t.Fatalf("only %d statutes and %d channels", len(lib.Statutes), len(lib.Channels))
	}
}

// The corrections of legal-sources.md: each statute must carry the right
// article under the right id, and retired numbering must be marked so.
func TestStatutesCarryTheCorrections(t *testing.T) {
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	must := func(id, article, fragment string) *legal.Statute {
		t.Helper()
		s, ok := lib.Statute(id)
		if !ok {
			t.Fatalf("missing statute %s", id)
		}
		if s.Article != article || !strings.Contains(s.Text, fragment) {
			t.Errorf("%s: article %s, text %q…; want %s containing %q", id, s.Article, s.Text[:min(len(s.Text), 30)], article, fragment)
		}
		return s
	}
	must("civil-code-1033", "第一千零三十三条", "（一）以电话、短信、即时通讯工具、电子邮件、传单等方式侵扰他人的私人生活安宁；")
	if s := must("civil-code-1032", "第一千零三十二条", "自然人享有隐私权"); strings.Contains(s.Text, "短信") {
		t.Error("civil-code-1032 must not carry the phone/SMS sentence (it is 1033 item 1)")
	}
	psl := must("psl-50", "第五十条", "（五）多次发送淫秽、侮辱、恐吓等信息或者采取滋扰、纠缠、跟踪等方法，干扰他人正常生活的；")
	if psl.Effective != "2026-01-01" || psl.Retired() {
		t.Errorf("psl-50 effective %s retired %v", psl.Effective, psl.Retired())
	}
	must("psl-56", "第五十六条", "出售或者提供个人信息")
	old := must("psl-2012-42", "第四十二条", "五百元以下罚款")
	if !old.Retired() || old.ReplacedBy != "psl-50" {
		t.Errorf("the 2012 Art. 42 must be retired, replaced by psl-50: %+v", old)
	}
	must("criminal-law-293-1", "第二百九十三条之一", "催收高利放贷等产生的非法债务")
	must("pipl-69", "第六十九条", "确定；个人因此受到的损失") // the official full-width ；
	for _, s := range lib.Statutes {
		if s.Checked == "" || s.Source == "" || s.Effective == "" || s.Version == "" {
			t.Errorf("%s lacks its provenance", s.ID)
		}
	}
}

// retiredPatterns are numberings or bodies that no longer exist; flows may
// name them only as history (preceded by 原/旧/不再/已经), never as current.
var retiredPatterns = []*regexp.Regexp{
	regexp.MustCompile(`银保监会`),
	regexp.MustCompile(`治安管理处罚法(》)?第四十二条`),
	regexp.MustCompile(`第四十二条`),
}

var historyMarker = regexp.MustCompile(`(原|旧|不再|已经|已于|撤销|不是)`)

// TestNoRetiredNumberingCitedAsCurrent checks every text of every flow and
// channel: a retired numbering may appear only in a sentence that marks it as
// history.
func TestNoRetiredNumberingCitedAsCurrent(t *testing.T) {
	texts := map[string]string{}
	addYAMLStrings(t, flows.FS, texts)
	addYAMLStrings(t, content.FS, texts)
	historical := 0
	for where, text := range texts {
		if strings.HasPrefix(where, "statutes.yaml") {
			continue // the retired statute itself is kept as history, with status: retired
		}
		for _, sentence := range regexp.MustCompile(`[。；\n]`).Split(text, -1) {
			for _, re := range retiredPatterns {
				if !re.MatchString(sentence) {
					continue
				}
				if !historyMarker.MatchString(sentence) {
					t.Errorf("%s: %q names a retired numbering or body as if current", where, sentence)
				}
				historical++
			}
		}
	}
	// The flows do warn about the old numbering (law.yaml's pitfalls), so the
	// scan must have seen those mentions; zero would mean it read nothing.
	if len(texts) < 100 || historical == 0 {
		t.Fatalf("scanned %d texts, %d historical mentions: the scan is not reading the flows", len(texts), historical)
	}
}

// TestEveryCitedIDExists repeats the loader's check from the test side and
// makes sure /law can show every current statute.
func TestEveryCitedIDExists(t *testing.T) {
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib := set.Library
	cited := map[string]bool{}
	for _, f := range set.Flows {
		for _, s := range f.Steps {
			for _, id := range s.Cite {
				st, ok := lib.Statute(id)
				if !ok || st.Retired() {
					t.Errorf("%s cites %s (known %v)", s.Pos, id, ok)
				}
				if f.ID == flow.LawFlow {
					cited[id] = true
				}
			}
			for _, id := range s.Channels {
				if _, ok := lib.Channel(id); !ok {
					t.Errorf("%s names channel %s", s.Pos, id)
				}
			}
		}
	}
	for _, s := range lib.Statutes {
		if !s.Retired() && !cited[s.ID] && s.ID != "psl-144" && s.ID != "pipl-14" && s.ID != "civil-code-1036" && s.ID != "civil-code-1037" {
			t.Errorf("current statute %s is not shown anywhere in /law", s.ID)
		}
	}
}

func addYAMLStrings(t *testing.T, fsys fs.FS, out map[string]string) {
	names, _ := fs.Glob(fsys, "*.yaml")
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode {
				out[name+":"+strconv.Itoa(n.Line)] += n.Value
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
}
