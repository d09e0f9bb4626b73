// Package draft turns one case's facts into complaint drafts: a document
// model built from the templates in content/, rendered as a chat message and
// as a DOCX file. Facts are never invented: a missing one stays visible as
// 【请填写：…】, and statutes are quoted only from content/.
package draft

// Doc is one draft, independent of how it is shown.
type Doc struct {
	Kind   string // template id, e.g. police-report
	Title  string // e.g. 报案材料
	Blocks []Block
}

// BlockKind says what a block is.
type BlockKind int

// Block kinds.
const (
	Heading    BlockKind = iota // a section title
	Paragraph                   // plain text; may contain line breaks
	List                        // a numbered list: Items
	Quote                       // a statute quoted verbatim: Text is the citation line, Items the paragraphs
	TableBlock                  // Table
	Signature                   // right-aligned lines at the end (name, date): Items
)

// Block is one part of a document.
type Block struct {
	Kind  BlockKind
	Text  string
	Items []string
	Table *Table
}

// Table is a simple grid with a header row (the evidence list).
type Table struct {
	Header []string
	Rows   [][]string
}
