package draft

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/diag"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/legal"
)

// TemplatesFile is the drafts' file in the content folder.
const TemplatesFile = "drafts.yaml"

// Templates are the loaded draft kinds.
type Templates struct {
	Kinds []*Kind
	lib   *legal.Library
}

// Kind is one kind of draft (a template).
type Kind struct {
	ID        string
	Title     string
	To        *flow.Template
	Sections  []Section
	Signature []*flow.Template
	NoTo      bool // `to` names the addressee for people, never printed as 致 (pleadings)
	Pos       diag.Pos
}

// Section is one part of a template.
type Section struct {
	If       *flow.Cond
	Heading  string
	Text     *flow.Template
	List     []*flow.Template
	Cite     []string
	Brief    bool // name the cited articles in one line instead of quoting them
	Evidence bool
	Max      int // characters the text may take (web forms); 0: no limit
}

// Kind returns the template with the id.
func (t *Templates) Kind(id string) (*Kind, bool) {
	for _, k := range t.Kinds {
		if k.ID == id {
			return k, true
		}
	}
	return nil, false
}

// Derived are the variables Build and Service fill in themselves.
var Derived = []string{"today", "evidence_count", "first_date", "last_date", "collector_phones", "collector_phones_masked", "lender_label", "regulator", "disclosure", "disclosure_claim", "disclosure_demand", "disclosure_supervise", "abuse_sentence", "before_2026"}

// Checks gives the flow checker every kind's variables without a default.
func (t *Templates) Checks() flow.Checks {
	vars := map[string][]string{}
	for _, k := range t.Kinds {
		vars[k.ID] = k.Vars()
	}
	return flow.Checks{DraftVars: vars, Derived: Derived}
}

// Vars lists every variable the template reads without a default, for the
// flow validator (drafts must not be asked for with facts missing silently).
func (k *Kind) Vars() []string {
	var out []string
	add := func(t *flow.Template) {
		if t != nil {
			out = append(out, t.Vars()...)
		}
	}
	add(k.To)
	for _, s := range k.Sections {
		add(s.Text)
		for _, l := range s.List {
			add(l)
		}
	}
	for _, l := range k.Signature {
		add(l)
	}
	return out
}

// LoadTemplates reads and checks drafts.yaml: unknown keys, templates,
// conditions and statute ids, all reported at once with file:line:col.
func LoadTemplates(fsys fs.FS, lib *legal.Library) (*Templates, error) {
	var probs diag.List
	file := TemplatesFile
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("draft: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.AddYAMLError(file, err)
		return nil, fmt.Errorf("draft: %w", probs.Err())
	}
	t := &Templates{lib: lib}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("draft: drafts.yaml must start with `drafts:`")
	}
	root := doc.Content[0]
	probs.CheckKeys(file, root, "the file", "drafts")
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "drafts" {
			list = root.Content[i+1]
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, errors.New("draft: drafts.yaml needs a list under `drafts:`")
	}
	for _, n := range list.Content {
		if k := parseKind(file, n, lib, &probs); k != nil {
			if _, dup := t.Kind(k.ID); dup {
				probs.Add(k.Pos, "give each draft its own id", "duplicate draft id %q", k.ID)
			}
			t.Kinds = append(t.Kinds, k)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("draft: %d problem(s) in the templates:\n%w", len(probs), err)
	}
	return t, nil
}

func parseKind(file string, n *yaml.Node, lib *legal.Library, probs *diag.List) *Kind {
	probs.CheckKeys(file, n, "a draft", "id", "title", "to", "no_to_line", "sections", "signature")
	var raw struct {
		ID        string      `yaml:"id"`
		Title     string      `yaml:"title"`
		To        string      `yaml:"to"`
		NoToLine  bool        `yaml:"no_to_line"`
		Sections  []yaml.Node `yaml:"sections"`
		Signature []string    `yaml:"signature"`
	}
	if err := n.Decode(&raw); err != nil {
		probs.AddYAMLError(file, err)
		return nil
	}
	k := &Kind{ID: raw.ID, Title: raw.Title, NoTo: raw.NoToLine, Pos: diag.At(file, n)}
	if k.ID == "" || k.Title == "" {
		probs.Add(k.Pos, "every draft needs id and title", "draft without id or title")
	}
	tpl := func(src string, at *yaml.Node) *flow.Template {
		t, err := flow.ParseTemplate(strings.TrimSpace(src))
		if err != nil {
			probs.Add(diag.At(file, at), "placeholders look like {{platform|【请填写：平台】}}", "%v", err)
			return nil
		}
		return t
	}
	k.To = tpl(raw.To, n)
	for _, s := range raw.Signature {
		k.Signature = append(k.Signature, tpl(s, n))
	}
	for i := range raw.Sections {
		sn := &raw.Sections[i]
		probs.CheckKeys(file, sn, "a section", "if", "heading", "text", "list", "cite", "brief", "evidence", "max")
		var rs struct {
			If       string   `yaml:"if"`
			Heading  string   `yaml:"heading"`
			Text     string   `yaml:"text"`
			List     []string `yaml:"list"`
			Cite     []string `yaml:"cite"`
			Brief    bool     `yaml:"brief"`
			Evidence bool     `yaml:"evidence"`
			Max      int      `yaml:"max"`
		}
		if err := sn.Decode(&rs); err != nil {
			probs.AddYAMLError(file, err)
			continue
		}
		s := Section{Heading: rs.Heading, Cite: rs.Cite, Brief: rs.Brief, Evidence: rs.Evidence, Max: rs.Max}
		if rs.If != "" {
			c, err := flow.ParseCond(rs.If)
			if err != nil {
				probs.Add(diag.At(file, sn), "e.g. illegal_debt == yes", "%v", err)
			}
			s.If = c
		}
		if rs.Text != "" {
			s.Text = tpl(rs.Text, sn)
		}
		for _, l := range rs.List {
			s.List = append(s.List, tpl(l, sn))
		}
		for _, id := range rs.Cite {
			st, ok := lib.Statute(id)
			switch {
			case !ok:
				probs.Add(diag.At(file, sn), diag.Suggest(id, lib.StatuteIDs()), "unknown statute %q", id)
			case st.Retired():
				probs.Add(diag.At(file, sn), "cite "+st.ReplacedBy, "retired statute %q", id)
			}
		}
		k.Sections = append(k.Sections, s)
	}
	return k
}

// Case is what one person's drafts are made of.
type Case struct {
	Vars     map[string]string // the person's answers, plus derived facts
	Evidence []EvidenceRow
	Now      time.Time
}

// EvidenceRow is one line of the evidence table.
type EvidenceRow struct {
	N      int
	Time   time.Time
	Type   string // shown as is: 图片, PDF 文件, 文字消息
	SHA256 string
	Note   string // what it shows (conduct), never third parties' numbers
	Said   string // the date the message itself shows, when read from it (2024-03-15 09:21)
}

var beijing = time.FixedZone("CST", 8*3600)

// Build makes the draft of kind id for the case.
func (t *Templates) Build(id string, c Case) (Doc, error) {
	k, ok := t.Kind(id)
	if !ok {
		return Doc{}, fmt.Errorf("draft: no draft kind %q", id)
	}
	vars := map[string]string{}
	for key, v := range c.Vars {
		vars[key] = v
	}
	vars["today"] = c.Now.In(beijing).Format("2006年1月2日")
	if vars["collector_phones"] != "" {
		vars["collector_phones_masked"] = maskPhones(vars["collector_phones"])
	}
	if vars["evidence_count"] == "" && len(c.Evidence) > 0 {
		vars["evidence_count"] = fmt.Sprint(len(c.Evidence))
	}
	d := Doc{Kind: k.ID, Title: k.Title}
	// A court pleading has no 致 line: the court comes after 此致.
	if to := render(k.To, vars); to != "" && !k.NoTo {
		d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: "致：" + to})
	}
	for _, s := range k.Sections {
		if s.If != nil && !s.If.Eval(vars) {
			continue
		}
		if s.Heading != "" {
			d.Blocks = append(d.Blocks, Block{Kind: Heading, Text: s.Heading})
		}
		if text := limit(render(s.Text, vars), s.Max); text != "" {
			d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: text})
		}
		if len(s.List) > 0 {
			b := Block{Kind: List}
			for _, l := range s.List {
				// An item that is only a variable the person's answers left
				// empty (a demand about a disclosure they did not report) is
				// left out, not printed as an empty number.
				if item := strings.TrimSpace(render(l, vars)); item != "" {
					b.Items = append(b.Items, item)
				}
			}
			d.Blocks = append(d.Blocks, b)
		}
		if s.Brief && len(s.Cite) > 0 {
			// In-app complaint boxes are short: name the articles only.
			// One law named once: 《民法典》第一千零三十二条、第一千零三十三条；《…》….
			var b strings.Builder
			last := ""
			for _, id := range s.Cite {
				st, _ := t.lib.Statute(id)
				switch {
				case st.Law == last:
					b.WriteString("、")
				case last != "":
					b.WriteString("；")
					fallthrough
				default:
					b.WriteString("《" + st.Law + "》")
				}
				b.WriteString(st.Article)
				last = st.Law
			}
			d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: b.String()})
		}
		for _, id := range s.Cite {
			if s.Brief {
				break
			}
			st, _ := t.lib.Statute(id)
			d.Blocks = append(d.Blocks, Block{Kind: Quote, Text: "《" + st.Law + "》" + st.Article, Items: splitParagraphs(st.Text)})
		}
		if s.Evidence {
			d.Blocks = append(d.Blocks, evidenceBlock(c.Evidence))
		}
	}
	sig := Block{Kind: Signature}
	for _, l := range k.Signature {
		sig.Items = append(sig.Items, render(l, vars))
	}
	if len(sig.Items) > 0 {
		d.Blocks = append(d.Blocks, sig)
	}
	return d, nil
}

// limit cuts text to max characters, ending with "…" when cut.
func limit(text string, max int) string {
	r := []rune(text)
	if max <= 0 || len(r) <= max {
		return text
	}
	return string(r[:max-1]) + "…"
}

func render(t *flow.Template, vars map[string]string) string {
	if t == nil {
		return ""
	}
	return t.Render(vars)
}

func splitParagraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func evidenceBlock(rows []EvidenceRow) Block {
	if len(rows) == 0 {
		return Block{Kind: Paragraph, Text: "【请填写：证据清单，例如通话记录、短信截图、聊天记录，写明时间和号码】"}
	}
	// 消息时间 is when the original message was sent (known for forwarded
	// messages; otherwise shown on the screenshot itself); 发来时间 is when
	// the person sent the copy here.
	t := &Table{Header: []string{"编号", "消息时间", "发来时间", "类型", "SHA-256 指纹"}}
	for _, r := range rows {
		said := r.Said
		if said == "" {
			said = "见原件"
		}
		t.Rows = append(t.Rows, []string{fmt.Sprint(r.N), said, r.Time.In(beijing).Format("2006-01-02 15:04"), r.Type, r.SHA256})
	}
	return Block{Kind: TableBlock, Table: t}
}
