package draft

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DOCX renders a draft as a Word (OOXML) document, A4, with Chinese fonts and
// language declared so that Word, WPS and LibreOffice lay it out as Chinese
// text. The output depends only on d and modified: the zip entries are
// written in a fixed order, each stamped with modified, which is also the
// document's created and modified date in docProps/core.xml.
//
// Text is escaped, and characters that XML 1.0 forbids (or that no reader
// should see: C0 and C1 controls other than tab and line feed, DEL,
// U+FFFE, U+FFFF, invalid UTF-8 such as lone surrogates) are dropped.
// A "\n" in any text becomes a line break inside its paragraph, a "\t" a tab.
func DOCX(d Doc, modified time.Time) ([]byte, error) {
	// A zip entry's MS-DOS date holds only the years 1980 to 2107.
	if modified.Before(dosEpoch) {
		modified = dosEpoch
	} else if modified.After(dosEnd) {
		modified = dosEnd
	}
	var doc docxWriter
	doc.b.Grow(8192 + 512*len(d.Blocks))
	doc.document(d)
	numbered := doc.lists > 0
	st := docxStatic()

	parts := make([]docxPart, 0, 9)
	parts = append(parts,
		st.contentTypes[b2i(numbered)],
		st.rootRels,
		deflatePart("docProps/core.xml", coreProps(d.Title, modified), flate.BestSpeed),
		deflatePart("word/document.xml", doc.b.Bytes(), flate.BestSpeed),
		st.documentRels[b2i(numbered)],
		st.styles,
		st.settings,
		st.fontTable,
	)
	if numbered {
		parts = append(parts, deflatePart("word/numbering.xml", numbering(doc.lists), flate.BestSpeed))
	}

	// The entries are written raw (already deflated, CRC and sizes known),
	// so each local header carries its sizes and no data descriptor follows.
	dosDate, dosTime := uint16(modified.Day()+int(modified.Month())<<5+(modified.Year()-1980)<<9),
		uint16(modified.Second()/2+modified.Minute()<<5+modified.Hour()<<11)
	var extTime [9]byte // Info-ZIP extended timestamp, as zip.Writer.CreateHeader writes it
	binary.LittleEndian.PutUint16(extTime[0:], 0x5455)
	binary.LittleEndian.PutUint16(extTime[2:], 5)
	extTime[4] = 1 // modification time only
	binary.LittleEndian.PutUint32(extTime[5:], uint32(modified.Unix()))

	size := 1024
	for _, p := range parts {
		size += 2*len(p.name) + 120 + len(p.deflated)
	}
	var out bytes.Buffer
	out.Grow(size)
	zw := zip.NewWriter(&out)
	for _, p := range parts {
		fh := &zip.FileHeader{
			Name:               p.name,
			Method:             zip.Deflate,
			Modified:           modified,
			Extra:              extTime[:],
			CRC32:              p.crc,
			CompressedSize64:   uint64(len(p.deflated)),
			UncompressedSize64: p.size,
		}
		fh.ModifiedDate, fh.ModifiedTime = dosDate, dosTime //nolint:staticcheck // CreateRaw writes only these
		w, err := zw.CreateRaw(fh)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(p.deflated); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// docxPart is one zip entry, deflated.
type docxPart struct {
	name     string
	deflated []byte
	crc      uint32
	size     uint64
}

var flatePools [flate.BestCompression + 1]sync.Pool

func deflatePart(name string, data []byte, level int) docxPart {
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 64)
	fw, _ := flatePools[level].Get().(*flate.Writer)
	if fw == nil {
		fw, _ = flate.NewWriter(&buf, level) // err only for a bad level
	} else {
		fw.Reset(&buf)
	}
	fw.Write(data) // writes to a bytes.Buffer cannot fail
	fw.Close()
	flatePools[level].Put(fw)
	return docxPart{name: name, deflated: buf.Bytes(), crc: crc32.ChecksumIEEE(data), size: uint64(len(data))}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// docxStatic holds the parts that do not depend on the draft, deflated once.
var docxStatic = sync.OnceValue(func() (st struct {
	contentTypes, documentRels            [2]docxPart // without, with numbering.xml
	rootRels, styles, settings, fontTable docxPart
}) {
	for i, numbered := range []bool{false, true} {
		st.contentTypes[i] = deflatePart("[Content_Types].xml", contentTypes(numbered), flate.BestCompression)
		st.documentRels[i] = deflatePart("word/_rels/document.xml.rels", documentRels(numbered), flate.BestCompression)
	}
	st.rootRels = deflatePart("_rels/.rels", []byte(rootRels), flate.BestCompression)
	st.styles = deflatePart("word/styles.xml", []byte(stylesXML), flate.BestCompression)
	st.settings = deflatePart("word/settings.xml", []byte(settingsXML), flate.BestCompression)
	st.fontTable = deflatePart("word/fontTable.xml", []byte(fontTableXML), flate.BestCompression)
	return st
})

var (
	dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	dosEnd   = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
)

// Page geometry in twips (1/1440 inch): A4 with 2.54 cm top and bottom and
// 2.8 cm left and right margins.
const (
	pageW      = 11906
	pageH      = 16838
	marginTB   = 1440
	marginLR   = 1588
	textWidth  = pageW - 2*marginLR // 8730
	cellMargin = 108                // Word's default left and right cell margin
	minColumn  = 720
)

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsW       = `http://schemas.openxmlformats.org/wordprocessingml/2006/main`
	nsR       = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	relBase   = `http://schemas.openxmlformats.org/officeDocument/2006/relationships/`
	ctBase    = `application/vnd.openxmlformats-officedocument.wordprocessingml.`
)

// docxWriter builds word/document.xml.
type docxWriter struct {
	b     bytes.Buffer
	lists int // numbered lists so far; list i uses w:numId i
}

func (w *docxWriter) document(d Doc) {
	w.s(xmlHeader + `<w:document xmlns:w="` + nsW + `" xmlns:r="` + nsR + `"><w:body>`)
	if d.Title != "" {
		w.para(`<w:pStyle w:val="Title"/>`, "", d.Title)
	}
	for i := range d.Blocks {
		w.block(&d.Blocks[i])
	}
	w.s(`<w:sectPr><w:pgSz w:w="` + strconv.Itoa(pageW) + `" w:h="` + strconv.Itoa(pageH) + `"/>` +
		`<w:pgMar w:top="` + strconv.Itoa(marginTB) + `" w:right="` + strconv.Itoa(marginLR) +
		`" w:bottom="` + strconv.Itoa(marginTB) + `" w:left="` + strconv.Itoa(marginLR) +
		`" w:header="851" w:footer="992" w:gutter="0"/><w:cols w:space="425"/></w:sectPr>`)
	w.s(`</w:body></w:document>`)
}

func (w *docxWriter) block(bl *Block) {
	switch bl.Kind {
	case Heading:
		w.para(`<w:pStyle w:val="Heading1"/>`, "", bl.Text)
	case Paragraph:
		w.bodyPara(bl.Text)
	case List:
		w.bodyPara(bl.Text)
		if len(bl.Items) == 0 {
			return
		}
		w.lists++
		ppr := `<w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="` + strconv.Itoa(w.lists) + `"/></w:numPr>`
		for _, it := range bl.Items {
			w.para(ppr, "", it)
		}
	case Quote:
		if bl.Text != "" {
			w.para(`<w:pStyle w:val="Quote"/><w:keepNext/>`, `<w:b/>`, bl.Text)
		}
		for _, it := range bl.Items {
			w.para(`<w:pStyle w:val="Quote"/>`, "", it)
		}
	case TableBlock:
		w.bodyPara(bl.Text)
		if bl.Table != nil {
			w.table(bl.Table)
		}
	case Signature:
		items := bl.Items
		if bl.Text != "" {
			items = append([]string{bl.Text}, items...)
		}
		for i, it := range items {
			if i == 0 {
				w.para(`<w:pStyle w:val="Signature"/><w:spacing w:before="480"/>`, "", it)
			} else {
				w.para(`<w:pStyle w:val="Signature"/>`, "", it)
			}
		}
	default: // an unknown kind: show whatever it holds rather than drop it
		w.bodyPara(bl.Text)
		for _, it := range bl.Items {
			w.bodyPara(it)
		}
		if bl.Table != nil {
			w.table(bl.Table)
		}
	}
}

// bodyPara writes prose: first line indented by two characters, as Chinese
// letters are written, unless the text is a block of lines (name, ID,
// phone…), which reads better flush left. Empty text writes nothing.
func (w *docxWriter) bodyPara(text string) {
	switch {
	case text == "":
	case strings.ContainsAny(text, "\n\r"):
		w.para(`<w:pStyle w:val="BodyText"/><w:ind w:firstLine="0" w:firstLineChars="0"/>`, "", text)
	default:
		w.para(`<w:pStyle w:val="BodyText"/>`, "", text)
	}
}

// para writes one paragraph with the given paragraph and run properties.
func (w *docxWriter) para(ppr, rpr, text string) {
	w.s(`<w:p>`)
	// A justified line that ends in a line break is stretched across the
	// page: lay out broken paragraphs flush left unless aligned otherwise.
	if strings.ContainsAny(text, "\n\r") && !strings.Contains(ppr, "<w:jc ") {
		ppr += `<w:jc w:val="left"/>` // last in w:pPr's schema order of what we use
	}
	if ppr != "" {
		w.s(`<w:pPr>` + ppr + `</w:pPr>`)
	}
	w.run(rpr, text)
	w.s(`</w:p>`)
}

// run writes text as one run: "\n" (or "\r\n", "\r") becomes w:br, "\t"
// w:tab, and everything else escaped w:t text.
func (w *docxWriter) run(rpr, text string) {
	if text == "" {
		return
	}
	w.s(`<w:r>`)
	if rpr != "" {
		w.s(`<w:rPr>` + rpr + `</w:rPr>`)
	}
	start := 0
	flush := func(end int) {
		if end > start {
			w.s(`<w:t xml:space="preserve">`)
			escapeText(&w.b, text[start:end])
			w.s(`</w:t>`)
		}
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\r':
			flush(i)
			w.s(`<w:br/>`)
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			start = i + 1
		case '\n':
			flush(i)
			w.s(`<w:br/>`)
			start = i + 1
		case '\t':
			flush(i)
			w.s(`<w:tab/>`)
			start = i + 1
		}
	}
	flush(len(text))
	w.s(`</w:r>`)
}

func (w *docxWriter) s(s string) { w.b.WriteString(s) }

// Table text sizes, in half-points.
const (
	tableSize = 18 // 9 pt
	hashSize  = 14 // 7 pt, monospace
)

// table writes a bordered grid whose first row is the bold, repeated header.
// Widths are fixed (so long hashes wrap instead of widening the table) and
// share the text width by how much each column needs.
func (w *docxWriter) table(t *Table) {
	cols := len(t.Header)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	widths := columnWidths(t, cols)
	w.s(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="` + strconv.Itoa(textWidth) + `" w:type="dxa"/>` +
		`<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>`)
	for _, cw := range widths {
		w.s(`<w:gridCol w:w="` + strconv.Itoa(cw) + `"/>`)
	}
	w.s(`</w:tblGrid>`)
	if len(t.Header) > 0 {
		w.s(`<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>`)
		for c := range cols {
			w.cell(widths[c], cellAt(t.Header, c), true)
		}
		w.s(`</w:tr>`)
	}
	for _, r := range t.Rows {
		w.s(`<w:tr><w:trPr><w:cantSplit/></w:trPr>`)
		for c := range cols {
			w.cell(widths[c], cellAt(r, c), false)
		}
		w.s(`</w:tr>`)
	}
	w.s(`</w:tbl>`)
	// Word needs a paragraph between a table and whatever follows it, and
	// some readers merge two adjacent tables: end every table with one.
	w.s(`<w:p><w:pPr><w:pStyle w:val="TableGap"/></w:pPr></w:p>`)
}

func (w *docxWriter) cell(width int, text string, header bool) {
	w.s(`<w:tc><w:tcPr><w:tcW w:w="` + strconv.Itoa(width) + `" w:type="dxa"/>`)
	if header {
		w.s(`<w:shd w:val="clear" w:color="auto" w:fill="E7E6E6"/>`)
	}
	w.s(`<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr>`)
	switch {
	case header:
		w.run(`<w:b/>`, text)
	case isHash(text):
		w.run(`<w:rStyle w:val="Hash"/>`, text)
	default:
		w.run("", text)
	}
	w.s(`</w:p></w:tc>`)
}

func cellAt(row []string, c int) string {
	if c < len(row) {
		return row[c]
	}
	return ""
}

// isHash reports whether text holds a run of 32 or more hex digits (an MD5,
// SHA-1 or SHA-256 digest), shown small and monospaced so that it fits.
func isHash(text string) bool {
	n := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
			if n++; n >= 32 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// columnWidths shares textWidth among the columns: each wants the width of
// its widest line (a hash wrapped onto two lines), a column that wants less
// than an equal share gets what it wants, and the rest share what is left
// in proportion to their wants. When all fit, the slack goes to every column
// in proportion, so the table spans the text width.
func columnWidths(t *Table, cols int) []int {
	want := make([]int, cols)
	measure := func(row []string, bold bool) {
		for c := 0; c < cols && c < len(row); c++ {
			want[c] = max(want[c], cellWant(row[c], bold))
		}
	}
	measure(t.Header, true)
	for _, r := range t.Rows {
		measure(r, false)
	}
	total := 0
	for c := range want {
		want[c] = max(want[c]+2*cellMargin+20, minColumn)
		total += want[c]
	}
	widths := make([]int, cols)
	if total <= textWidth {
		for c := range want {
			widths[c] = want[c] * textWidth / total
		}
	} else {
		// Water-fill: settle the narrow columns, then split the remainder.
		left, open, openWant := textWidth, cols, total
		settled := make([]bool, cols)
		for changed := true; changed; {
			changed = false
			for c := range want {
				if !settled[c] && want[c]*open <= left {
					widths[c], settled[c] = want[c], true
					left -= want[c]
					openWant -= want[c]
					open--
					changed = true
				}
			}
		}
		for c := range want {
			if !settled[c] {
				widths[c] = max(minColumn, want[c]*left/openWant)
			}
		}
	}
	// Rounding: give the last column whatever is left over, so the grid adds
	// up to the table width exactly (unless narrow minimums overflow it).
	sum := 0
	for _, cw := range widths {
		sum += cw
	}
	if last := widths[cols-1] + textWidth - sum; last >= minColumn {
		widths[cols-1] = last
	}
	return widths
}

// cellWant estimates the width in twips of the widest line of a table cell:
// a wide (CJK) character is one em, any other 0.6 em (digits and capitals
// are wider than half an em, and a reader may substitute a wider font), and a hash
// is set small and monospaced and allowed to wrap onto two lines.
func cellWant(text string, bold bool) int {
	if isHash(text) {
		longest := 0
		for line := range strings.Lines(text) {
			longest = max(longest, utf8.RuneCountInString(strings.TrimRight(line, "\r\n")))
		}
		// Consolas is 0.55 em a character, its stand-ins (Courier New,
		// Liberation or DejaVu Sans Mono) 0.6 em; hashSize is in half-points,
		// 10 twips each.
		return (longest + 1) / 2 * hashSize * 10 * 62 / 100
	}
	em := tableSize * 10
	longest := 0
	for line := range strings.Lines(text) {
		n := 0
		for _, r := range line {
			switch {
			case r == '\n' || r == '\r':
			case isWide(r):
				n += 5 // fifths of an em
			default:
				n += 3
			}
		}
		longest = max(longest, n)
	}
	wt := longest * em / 5
	if bold {
		wt = wt * 11 / 10
	}
	return wt
}

// isWide reports whether r is set a full em wide: CJK, Hangul, kana, fullwidth
// forms and emoji.
func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115F ||
		r >= 0x2E80 && r <= 0xA4CF ||
		r >= 0xAC00 && r <= 0xD7A3 ||
		r >= 0xF900 && r <= 0xFAFF ||
		r >= 0xFE30 && r <= 0xFE4F ||
		r >= 0xFF00 && r <= 0xFF60 ||
		r >= 0xFFE0 && r <= 0xFFE6 ||
		r >= 0x1F300 && r <= 0x1FAFF ||
		r >= 0x20000 && r <= 0x3FFFD)
}

// escapeText writes s as XML character data: &, <, > and " escaped, and
// characters that XML 1.0 forbids or that carry no text dropped: C0
// controls other than tab, line feed and carriage return, DEL, C1 controls,
// U+FFFE, U+FFFF and invalid UTF-8 (which includes encoded lone surrogates).
func escapeText(b *bytes.Buffer, s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '"':
				esc = "&quot;"
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7F:
				esc = ""
			default:
				i++
				continue
			}
			b.WriteString(s[start:i])
			b.WriteString(esc)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF || r >= 0x80 && r <= 0x9F {
			b.WriteString(s[start:i])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
}

func contentTypes(numbered bool) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/word/document.xml" ContentType="` + ctBase + `document.main+xml"/>` +
		`<Override PartName="/word/styles.xml" ContentType="` + ctBase + `styles+xml"/>` +
		`<Override PartName="/word/settings.xml" ContentType="` + ctBase + `settings+xml"/>` +
		`<Override PartName="/word/fontTable.xml" ContentType="` + ctBase + `fontTable+xml"/>`)
	if numbered {
		b.WriteString(`<Override PartName="/word/numbering.xml" ContentType="` + ctBase + `numbering+xml"/>`)
	}
	b.WriteString(`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`)
	return b.Bytes()
}

const rootRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="` + relBase + `officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`</Relationships>`

func documentRels(numbered bool) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="` + relBase + `styles" Target="styles.xml"/>` +
		`<Relationship Id="rId2" Type="` + relBase + `settings" Target="settings.xml"/>` +
		`<Relationship Id="rId3" Type="` + relBase + `fontTable" Target="fontTable.xml"/>`)
	if numbered {
		b.WriteString(`<Relationship Id="rId4" Type="` + relBase + `numbering" Target="numbering.xml"/>`)
	}
	b.WriteString(`</Relationships>`)
	return b.Bytes()
}

func coreProps(title string, modified time.Time) []byte {
	var b bytes.Buffer
	stamp := modified.UTC().Format("2006-01-02T15:04:05Z")
	b.WriteString(xmlHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ` +
		`xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>`)
	escapeText(&b, strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(title))
	b.WriteString(`</dc:title><dc:language>zh-CN</dc:language>` +
		`<dcterms:created xsi:type="dcterms:W3CDTF">` + stamp + `</dcterms:created>` +
		`<dcterms:modified xsi:type="dcterms:W3CDTF">` + stamp + `</dcterms:modified></cp:coreProperties>`)
	return b.Bytes()
}

// numbering defines one decimal list ("1." "2." …) per List block, each its
// own abstract definition so that every list starts again at 1 in every
// reader.
func numbering(lists int) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<w:numbering xmlns:w="` + nsW + `">`)
	for i := 1; i <= lists; i++ {
		b.WriteString(`<w:abstractNum w:abstractNumId="` + strconv.Itoa(i) + `"><w:multiLevelType w:val="singleLevel"/>` +
			`<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>` +
			`<w:pPr><w:ind w:left="840" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>`)
	}
	for i := 1; i <= lists; i++ {
		b.WriteString(`<w:num w:numId="` + strconv.Itoa(i) + `"><w:abstractNumId w:val="` + strconv.Itoa(i) + `"/></w:num>`)
	}
	b.WriteString(`</w:numbering>`)
	return b.Bytes()
}

// Fonts: Latin text in Times New Roman, Chinese in 宋体 (SimSun; the font
// table gives the English name as altName and GB2312 charset so that readers
// without it substitute a Chinese serif), headings and title in 黑体 (SimHei),
// hashes in Consolas (declared fixed-pitch, so a missing one falls back to a
// monospace font). Language en-US for Latin, zh-CN for East Asian text.
const stylesXML = xmlHeader + `<w:styles xmlns:w="` + nsW + `">` +
	`<w:docDefaults><w:rPrDefault><w:rPr>` +
	`<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="宋体" w:cs="Times New Roman"/>` +
	`<w:kern w:val="2"/><w:sz w:val="24"/><w:szCs w:val="24"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>` +
	`</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="360" w:lineRule="auto"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>` +

	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
	`<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>` +
	`<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +

	`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:keepNext/><w:spacing w:before="240" w:after="360" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/><w:outlineLvl w:val="0"/></w:pPr>` +
	`<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体"/><w:b/><w:bCs/><w:sz w:val="36"/><w:szCs w:val="36"/></w:rPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="BodyText"/><w:qFormat/>` +
	`<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="120"/><w:jc w:val="left"/><w:outlineLvl w:val="0"/></w:pPr>` +
	`<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体"/><w:b/><w:bCs/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="BodyText"><w:name w:val="Body Text"/><w:basedOn w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:spacing w:after="60"/><w:ind w:firstLineChars="200" w:firstLine="480"/></w:pPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:spacing w:after="60"/><w:ind w:left="840" w:hanging="360"/></w:pPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:spacing w:before="60" w:after="60"/><w:ind w:left="840" w:right="420"/></w:pPr>` +
	`<w:rPr><w:rFonts w:eastAsia="楷体"/></w:rPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="Signature"><w:name w:val="Signature"/><w:basedOn w:val="Normal"/>` +
	`<w:pPr><w:jc w:val="right"/></w:pPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/>` +
	`<w:pPr><w:spacing w:line="240" w:lineRule="auto"/><w:jc w:val="left"/></w:pPr><w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>` +

	`<w:style w:type="paragraph" w:styleId="TableGap"><w:name w:val="Table Gap"/><w:basedOn w:val="Normal"/>` +
	`<w:pPr><w:spacing w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="12"/><w:szCs w:val="12"/></w:rPr></w:style>` +

	`<w:style w:type="character" w:styleId="Hash"><w:name w:val="Hash"/><w:basedOn w:val="DefaultParagraphFont"/>` +
	`<w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/><w:sz w:val="14"/><w:szCs w:val="14"/></w:rPr></w:style>` +

	`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/>` +
	`<w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:left w:val="single" w:sz="4" w:space="0" w:color="auto"/>` +
	`<w:bottom w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:right w:val="single" w:sz="4" w:space="0" w:color="auto"/>` +
	`<w:insideH w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="auto"/></w:tblBorders></w:tblPr></w:style>` +
	`</w:styles>`

const settingsXML = xmlHeader + `<w:settings xmlns:w="` + nsW + `">` +
	`<w:defaultTabStop w:val="420"/><w:characterSpacingControl w:val="compressPunctuation"/>` +
	`<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/></w:settings>`

const fontTableXML = xmlHeader + `<w:fonts xmlns:w="` + nsW + `">` +
	`<w:font w:name="Times New Roman"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>` +
	`<w:font w:name="宋体"><w:altName w:val="SimSun"/><w:panose1 w:val="02010600030101010101"/><w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>` +
	`<w:font w:name="黑体"><w:altName w:val="SimHei"/><w:panose1 w:val="02010609060101010101"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>` +
	`<w:font w:name="楷体"><w:altName w:val="KaiTi"/><w:panose1 w:val="02010609060101010101"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>` +
	`<w:font w:name="Consolas"><w:panose1 w:val="020B0609020204030204"/><w:charset w:val="00"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>` +
	`</w:fonts>`
