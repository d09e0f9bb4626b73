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
// makes sure every current statute is shown somewhere a person can browse:
// /law, or the common-questions flow (faq) for the statutes that answer
// those questions (guarantees, interest caps, credit records, legal aid).
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
				if f.ID == flow.LawFlow || f.ID == faqFlow {
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
			t.Errorf("current statute %s is not shown anywhere in /law or the common questions", s.ID)
		}
	}
}

var typedByPeople = map[string]bool{"examples": true, "keywords": true, "variants": true, "crisis": true, "other": true}

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
			for i, c := range n.Content {
				// In the intents file, examples, keywords and variants are
				// what people type (they still say 银保监会), not what the
				// bot says: only its labels and lines are checked.
				if name == "intents.yaml" && n.Kind == yaml.MappingNode && i%2 == 1 && typedByPeople[n.Content[i-1].Value] {
					continue
				}
				walk(c)
			}
		}
		walk(&doc)
	}
}

// faqFlow is the common-questions flow; other code jumps to its answers by
// step id, so the ids below must stay.
const faqFlow = "faq"

var faqAnswers = []string{"jail", "credit", "visit", "lawsuit", "interest", "relatives_liable", "refuse_pay", "legal_aid", "threat"}

// TestFAQAnswersExist checks the step ids other code targets and that each
// answer that states the law cites it.
func TestFAQAnswersExist(t *testing.T) {
	set, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := set.Flows[faqFlow]
	if !ok {
		t.Fatalf("flow %q missing", faqFlow)
	}
	if f.Start != "pick" {
		t.Errorf("faq starts at %q, want pick", f.Start)
	}
	for _, id := range faqAnswers {
		s, ok := f.Steps[id]
		if !ok {
			t.Errorf("faq has no step %q", id)
			continue
		}
		if id != "refuse_pay" && len(s.Cite) == 0 {
			t.Errorf("faq.%s cites no statute", id)
		}
	}
}

// TestFAQStatutes pins the texts the common questions rely on: the article
// under each id, a fragment of its verbatim text, and where the private
// lending cap does not apply.
func TestFAQStatutes(t *testing.T) {
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, law, article, fragment string }{
		{"criminal-law-193", "中华人民共和国刑法", "第一百九十三条", "以非法占有为目的，诈骗银行或者其他金融机构的贷款"},
		{"criminal-law-196", "中华人民共和国刑法", "第一百九十六条", "前款所称恶意透支，是指持卡人以非法占有为目的"},
		{"criminal-law-245", "中华人民共和国刑法", "第二百四十五条", "非法侵入他人住宅的，处三年以下有期徒刑或者拘役"},
		{"criminal-law-279", "中华人民共和国刑法", "第二百七十九条", "冒充人民警察招摇撞骗的"},
		{"psl-47", "中华人民共和国治安管理处罚法", "第四十七条", "（三）非法限制他人人身自由、非法侵入他人住宅或者非法搜查他人身体的。"},
		{"psl-62", "中华人民共和国治安管理处罚法", "第六十二条", "冒充军警人员招摇撞骗的，从重处罚。"},
		{"credit-reg-16", "征信业管理条例", "第十六条", "自不良行为或者事件终止之日起为5年；超过5年的，应当予以删除。"},
		{"credit-reg-17", "征信业管理条例", "第十七条", "每年两次免费获取本人的信用报告"},
		{"civil-code-670", "中华人民共和国民法典", "第六百七十条", "借款的利息不得预先在本金中扣除。"},
		{"civil-code-680", "中华人民共和国民法典", "第六百八十条", "禁止高利放贷，借款的利率不得违反国家有关规定。"},
		{"civil-code-685", "中华人民共和国民法典", "第六百八十五条", "也可以是主债权债务合同中的保证条款"},
		{"civil-code-1064", "中华人民共和国民法典", "第一千零六十四条", "属于夫妻共同债务"},
		{"civil-code-1161", "中华人民共和国民法典", "第一千一百六十一条", "以所得遗产实际价值为限"},
		{"private-lending-25", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定", "第二十五条", "合同成立时一年期贷款市场报价利率四倍"},
		{"private-lending-1", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定", "第一条", "因发放贷款等相关金融业务引发的纠纷，不适用本规定。"},
		{"private-lending-reply-1", "最高人民法院关于新民间借贷司法解释适用范围问题的批复", "第一条", "小额贷款公司"},
		{"legal-aid-law-34", "中华人民共和国法律援助法", "第三十四条", "经济困难的标准"},
	} {
		s, ok := lib.Statute(c.id)
		if !ok {
			t.Errorf("missing statute %s", c.id)
			continue
		}
		if s.Law != c.law || s.Article != c.article || !strings.Contains(s.Text, c.fragment) {
			t.Errorf("%s: %s %s; want %s %s containing %q", c.id, s.Law, s.Article, c.law, c.article, c.fragment)
		}
		if s.Retired() || s.Checked == "" || s.Source == "" {
			t.Errorf("%s: retired %v, checked %q, source %q", c.id, s.Retired(), s.Checked, s.Source)
		}
	}
	// The 4x LPR cap is for private lending only: the note must say whom it
	// does not govern, since the interest answer relies on it.
	if s, ok := lib.Statute("private-lending-25"); ok {
		for _, w := range []string{"持牌金融机构", "小额贷款公司", "法释〔2020〕27号"} {
			if !strings.Contains(s.Note, w) {
				t.Errorf("private-lending-25 note lacks %q", w)
			}
		}
	}
}

// The crisis patterns of safety.yaml catch despair in other words than the
// word list, and set ordinary figurative phrases aside.
func TestSafetyPatterns(t *testing.T) {
	lib, err := legal.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	s := &lib.Safety
	for text, want := range map[string]bool{
		"不想活了":     true,
		"活着没什么意义":  true,
		"我站在天台上":   true,
		"遗书写好了":    true,
		"想睡过去再也不醒": true,
		"累死了":      false,
		"笑死我了":     false,
		"这个死贵":     false,
		"手机死机了":    false,
		"想结束这个分期":  false,
		"跳楼价甩卖":    false,
		"想死你了好久不见": false,
		"跳过这一步":    false,
		"把这笔账了结了":  false,
		"今天下雨了":    false,
	} {
		if got := s.Matches(text); got != want {
			t.Errorf("Matches(%q) = %v, want %v", text, got, want)
		}
	}
}
