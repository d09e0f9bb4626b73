package draft

import (
	"fmt"
	"strings"
)

// Text renders a draft as plain text for a chat message, easy to copy into a
// web form: a table becomes one line per row.
func Text(d Doc) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	for _, bl := range d.Blocks {
		switch bl.Kind {
		case Heading:
			b.WriteString("\n" + bl.Text + "\n")
		case Paragraph:
			b.WriteString(bl.Text + "\n")
		case List:
			for i, it := range bl.Items {
				fmt.Fprintf(&b, "%d. %s\n", i+1, it)
			}
		case Quote:
			b.WriteString(bl.Text + "：\n")
			for _, it := range bl.Items {
				b.WriteString("　　" + it + "\n")
			}
		case TableBlock:
			if len(bl.Table.Header) > 0 {
				b.WriteString(strings.Join(bl.Table.Header, "  ") + "\n")
			}
			for _, row := range bl.Table.Rows {
				b.WriteString(strings.Join(row, "  ") + "\n")
			}
		case Signature:
			b.WriteString("\n")
			for _, it := range bl.Items {
				b.WriteString(it + "\n")
			}
		}
	}
	return b.String()
}
