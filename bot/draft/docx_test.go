package draft

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	docxHash    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	docxHash2   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	docxStatute = "以暴力、胁迫或者其他方法公然侮辱他人或者捏造事实诽谤他人，情节严重的，处三年以下有期徒刑、拘役、管制或者剥夺政治权利。"
	docxNasty   = "金额<1000 & 利息>36% \"年化\"\x00\x01\x07\x1b\x7f\u0085\ufffe\uffff\xed\xa0\x80\xff 😀结束"
	docxClean   = "金额<1000 & 利息>36% \"年化\" 😀结束"
)

var docxModified = time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CST", 8*3600))

// docxSample is a small draft that uses every block kind and the text that
// escaping must survive.
func docxSample() Doc {
	return Doc{
		Kind:  "police-report",
		Title: "报案材料",
		Blocks: []Block{
			{Kind: Heading, Text: "一、报案人基本情况"},
			{Kind: Paragraph, Text: "姓名：张三\n身份证号：【请填写：身份证号】\r\n联系电话：138\t0000 0000"},
			{Kind: Heading, Text: "二、事实与理由"},
			{Kind: Paragraph, Text: "自2024年5月起，催收人员多次拨打我的通讯录联系人，散布侮辱性言论。"},
			{Kind: Paragraph, Text: docxNasty},
			{Kind: List, Items: []string{"立即制止违法催收行为", "依法追究相关人员责任"}},
			{Kind: Quote, Text: "《中华人民共和国刑法》第二百四十六条", Items: []string{docxStatute, "前款罪，告诉的才处理。"}},
			{Kind: Heading, Text: "三、证据清单"},
			{Kind: TableBlock, Table: &Table{
				Header: []string{"序号", "证据名称", "文件名", "SHA-256"},
				Rows: [][]string{
					{"1", "催收短信截图", "sms-2024-05-01.png", docxHash},
					{"2", "通话录音", "call.m4a", docxHash2},
					{"3", "缺一格"},
				},
			}},
			{Kind: List, Items: []string{"第二个列表从一开始"}},
			{Kind: Signature, Items: []string{"报案人：张三", "2025年3月14日"}},
		},
	}
}

func unzipDocx(t testing.TB, data []byte) (*zip.Reader, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		parts[f.Name] = b
	}
	return zr, parts
}

// wellFormed decodes an XML part to EOF and returns the text of its w:t
// elements and the local names of its elements.
func wellFormed(t *testing.T, name string, data []byte) (text string, elems map[string]int) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	elems = map[string]int{}
	var sb strings.Builder
	inT := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed: %v", name, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elems[tok.Name.Local]++
			inT = tok.Name.Local == "t" && tok.Name.Space == nsW
		case xml.EndElement:
			inT = false
		case xml.CharData:
			if inT {
				sb.Write(tok)
			}
		}
	}
	return sb.String(), elems
}

func TestDOCXStructure(t *testing.T) {
	data, err := DOCX(docxSample(), docxModified)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DOCX(docxSample(), docxModified)
	if err != nil || !bytes.Equal(data, again) {
		t.Fatalf("output is not deterministic (err %v)", err)
	}
	var wg sync.WaitGroup // the shared static parts and flate pools under -race
	for range 4 {
		wg.Go(func() {
			if again, err := DOCX(docxSample(), docxModified); err != nil || !bytes.Equal(data, again) {
				t.Errorf("concurrent output differs (err %v)", err)
			}
		})
	}
	wg.Wait()
	zr, parts := unzipDocx(t, data)

	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(docxModified) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, docxModified)
		}
	}
	wantNames := []string{"[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "word/document.xml",
		"word/_rels/document.xml.rels", "word/styles.xml", "word/settings.xml", "word/fontTable.xml", "word/numbering.xml"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("parts %q, want %q", names, wantNames)
	}

	texts := map[string]string{}
	elems := map[string]map[string]int{}
	for _, name := range names {
		texts[name], elems[name] = wellFormed(t, name, parts[name])
	}

	// [Content_Types].xml covers every part.
	var ct struct {
		Defaults []struct {
			Extension string `xml:"Extension,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(parts["[Content_Types].xml"], &ct); err != nil {
		t.Fatal(err)
	}
	overrides := map[string]string{}
	for _, o := range ct.Overrides {
		overrides[o.PartName] = o.ContentType
		if _, ok := parts[strings.TrimPrefix(o.PartName, "/")]; !ok {
			t.Errorf("content type for missing part %s", o.PartName)
		}
	}
	for _, name := range names[1:] {
		if _, ok := overrides["/"+name]; ok {
			continue
		}
		ext := name[strings.LastIndexByte(name, '.')+1:]
		if !slices.ContainsFunc(ct.Defaults, func(d struct {
			Extension string `xml:"Extension,attr"`
		}) bool {
			return d.Extension == ext
		}) {
			t.Errorf("no content type for %s", name)
		}
	}
	if got := overrides["/word/document.xml"]; got != ctBase+"document.main+xml" {
		t.Errorf("document.xml content type %q", got)
	}

	// Every relationship points at a part that exists.
	for rels, dir := range map[string]string{"_rels/.rels": "", "word/_rels/document.xml.rels": "word/"} {
		var r struct {
			Rel []struct {
				Target string `xml:"Target,attr"`
			} `xml:"Relationship"`
		}
		if err := xml.Unmarshal(parts[rels], &r); err != nil {
			t.Fatal(err)
		}
		for _, rel := range r.Rel {
			if _, ok := parts[dir+rel.Target]; !ok {
				t.Errorf("%s points at missing %s", rels, dir+rel.Target)
			}
		}
	}

	doc := texts["word/document.xml"]
	for _, want := range []string{"报案材料", "一、报案人基本情况", "身份证号：【请填写：身份证号】", "催收人员多次拨打我的通讯录联系人",
		docxClean, "立即制止违法催收行为", "《中华人民共和国刑法》第二百四十六条", docxStatute,
		"SHA-256", docxHash, docxHash2, "sms-2024-05-01.png", "缺一格", "报案人：张三", "2025年3月14日"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml w:t text lacks %q", want)
		}
	}
	for _, bad := range []string{"\x00", "\x01", "\x1b", "\x7f", "\u0085", "\ufffe", "\uffff", "\ufffd"} {
		if strings.Contains(string(parts["word/document.xml"]), bad) {
			t.Errorf("document.xml holds forbidden %q", bad)
		}
	}
	raw := string(parts["word/document.xml"])
	if !strings.Contains(raw, "金额&lt;1000 &amp; 利息&gt;36%") {
		t.Error("< and & are not escaped as expected")
	}

	de := elems["word/document.xml"]
	if de["br"] != 2 || de["tab"] != 1 {
		t.Errorf("got %d w:br and %d w:tab, want 2 and 1 (the multi-line paragraph)", de["br"], de["tab"])
	}
	if de["tbl"] != 1 || de["tr"] != 4 || de["tc"] != 16 || de["tblHeader"] != 1 || de["gridCol"] != 4 {
		t.Errorf("table: %d tbl, %d tr, %d tc, %d tblHeader, %d gridCol", de["tbl"], de["tr"], de["tc"], de["tblHeader"], de["gridCol"])
	}
	if de["numPr"] != 3 {
		t.Errorf("%d numbered paragraphs, want 3", de["numPr"])
	}
	for _, want := range []string{`<w:pStyle w:val="Title"/>`, `<w:pStyle w:val="Heading1"/>`, `<w:pStyle w:val="Quote"/><w:keepNext/></w:pPr><w:r><w:rPr><w:b/>`,
		`<w:pStyle w:val="Signature"/>`, `<w:pgSz w:w="11906" w:h="16838"/>`, `<w:tblLayout w:type="fixed"/>`, `<w:rStyle w:val="Hash"/>`} {
		if !strings.Contains(raw, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	sum := 0
	for _, m := range strings.Split(raw, `<w:gridCol w:w="`)[1:] {
		n, _ := strconv.Atoi(m[:strings.IndexByte(m, '"')])
		sum += n
	}
	if sum != textWidth {
		t.Errorf("columns add up to %d twips, want the text width %d", sum, textWidth)
	}

	styles := string(parts["word/styles.xml"])
	for _, want := range []string{`w:eastAsia="宋体"`, `w:ascii="Times New Roman"`, `w:eastAsia="zh-CN"`, `w:styleId="Title"`,
		`w:styleId="Heading1"`, `w:styleId="TableGrid"`, `<w:insideV w:val="single"`, `<w:jc w:val="center"/>`} {
		if !strings.Contains(styles, want) {
			t.Errorf("styles.xml lacks %s", want)
		}
	}
	if n := elems["word/numbering.xml"]["num"]; n != 2 {
		t.Errorf("numbering.xml defines %d lists, want 2", n)
	}
	if !strings.Contains(string(parts["docProps/core.xml"]), "<dc:title>报案材料</dc:title>") {
		t.Error("core.xml lacks the title")
	}
}

func TestDOCXEdgeCases(t *testing.T) {
	for name, d := range map[string]Doc{
		"empty":       {},
		"empty table": {Blocks: []Block{{Kind: TableBlock, Table: &Table{}}, {Kind: TableBlock}}},
		"no header":   {Blocks: []Block{{Kind: TableBlock, Table: &Table{Rows: [][]string{{"a"}, {"b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}}}}}},
		"wide":        {Blocks: []Block{{Kind: TableBlock, Table: &Table{Header: []string{strings.Repeat("很长的表头", 40), docxHash, docxHash2}}}}},
		"odd kinds":   {Title: "a\nb", Blocks: []Block{{Kind: BlockKind(99), Text: "x", Items: []string{"y"}}, {Kind: List}, {Kind: Quote}, {Kind: Signature, Text: "z"}}},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := DOCX(d, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			zr, parts := unzipDocx(t, data)
			for _, f := range zr.File {
				wellFormed(t, f.Name, parts[f.Name])
				if f.Modified.Year() != 1980 {
					t.Errorf("%s: zero time stamped %v, want 1980", f.Name, f.Modified)
				}
			}
			if _, ok := parts["word/numbering.xml"]; ok {
				t.Error("numbering.xml written without a list")
			}
			raw := string(parts["word/document.xml"])
			for _, m := range strings.Split(raw, `<w:gridCol w:w="`)[1:] {
				if n, _ := strconv.Atoi(m[:strings.IndexByte(m, '"')]); n < minColumn {
					t.Errorf("column %d twips wide", n)
				}
			}
		})
	}
}

// TestDOCXLibreOffice has a real reader open the document: LibreOffice
// converts it to plain text, which must hold every text of the draft.
func TestDOCXLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if soffice, err = exec.LookPath("libreoffice"); err != nil {
			const install = "apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-noto-cjk"
			if os.Getenv("CI") != "" {
				t.Fatalf("soffice not found, and CI must run this test: %s", install)
			}
			t.Skipf("soffice not found; to run this test: %s", install)
		}
	}
	data, err := DOCX(docxSample(), docxModified)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "draft.docx")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	profile := filepath.Join(dir, "profile") // one conversion per profile at a time

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
		"-env:UserInstallation=file://"+filepath.ToSlash(profile),
		"--convert-to", "txt:Text (encoded):UTF8", "--outdir", out, in)
	cmd.Env = append(os.Environ(), "HOME="+dir, "LANG=C.UTF-8")
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v after %v\n%s", err, time.Since(start), msg)
	}
	t.Logf("LibreOffice converted in %v", time.Since(start).Round(time.Millisecond))
	txt, err := os.ReadFile(filepath.Join(out, "draft.txt"))
	if err != nil {
		t.Fatalf("no text out (%v)\n%s", err, msg)
	}
	text := strings.TrimPrefix(string(txt), "\ufeff")

	wants := []string{"报案材料", "一、报案人基本情况", "联系电话：138", "催收人员多次拨打我的通讯录联系人", docxClean,
		"立即制止违法催收行为", "《中华人民共和国刑法》第二百四十六条", docxStatute, "报案人：张三", "2025年3月14日"}
	for _, row := range append([][]string{docxSample().Blocks[8].Table.Header}, docxSample().Blocks[8].Table.Rows...) {
		wants = append(wants, row...)
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("LibreOffice text lacks %q", want)
		}
	}
	// The lists are numbered, and the second starts again at 1.
	for _, want := range []string{"1. 立即制止违法催收行为", "2. 依法追究相关人员责任", "1. 第二个列表从一开始"} {
		if !strings.Contains(strings.ReplaceAll(text, "\t", " "), want) {
			t.Errorf("LibreOffice text lacks the numbered item %q", want)
		}
	}
	if t.Failed() {
		t.Logf("LibreOffice text:\n%s", text)
	}
}

// docxRealistic is the size of a real complaint: a title, 6 headings, 10
// paragraphs, a list, 3 quotes and a 10-row evidence table.
func docxRealistic() Doc {
	d := Doc{Kind: "police-report", Title: "关于网络贷款平台暴力催收的报案材料"}
	para := "2024年5月3日起，自称“某某金融”的催收人员通过电话、短信和微信多次联系本人及本人通讯录中的亲友，" +
		"以公开本人隐私、上门“拜访”相威胁，并向本人同事发送带有侮辱性内容的图片，严重影响本人正常生活和工作。"
	for h := range 6 {
		d.Blocks = append(d.Blocks, Block{Kind: Heading, Text: fmt.Sprintf("第%d部分 事实与理由", h+1)})
		switch h {
		case 0:
			d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: "姓名：【请填写：姓名】\n身份证号：【请填写：身份证号】\n联系电话：【请填写：电话】"})
		case 1:
			d.Blocks = append(d.Blocks, Block{Kind: List, Items: []string{"立即制止违法催收行为", "依法追究相关人员的法律责任", "责令平台删除已泄露的个人信息", "对本人及亲友的信息予以保护"}})
		case 2, 3, 4:
			d.Blocks = append(d.Blocks, Block{Kind: Quote, Text: "《中华人民共和国个人信息保护法》第十条", Items: []string{docxStatute, docxStatute}})
		case 5:
			tb := &Table{Header: []string{"序号", "证据名称", "形成时间", "文件名", "SHA-256"}}
			for i := range 10 {
				tb.Rows = append(tb.Rows, []string{strconv.Itoa(i + 1), "催收短信截图", "2024-05-03 14:22", fmt.Sprintf("IMG_%04d.jpg", i), docxHash})
			}
			d.Blocks = append(d.Blocks, Block{Kind: TableBlock, Table: tb})
		}
	}
	for range 9 {
		d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: para})
	}
	d.Blocks = append(d.Blocks, Block{Kind: Signature, Items: []string{"报案人：【请填写：姓名】", "2025年3月14日"}})
	return d
}

func BenchmarkDOCX(b *testing.B) {
	d := docxRealistic()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		data, err := DOCX(d, docxModified)
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n), "docx-bytes")
}
