package flow

import (
	"strings"

	"github.com/anning-bot/anning/bot/legal"
)

// FormatStatute renders a statute for a chat: the law and article, the
// verbatim text, and when it took effect and was checked.
func FormatStatute(s *legal.Statute) string {
	var b strings.Builder
	b.WriteString("《" + s.Law + "》" + s.Article + "\n")
	b.WriteString(s.Text)
	b.WriteString("\n（" + s.Effective + " 起施行；条文核对于 " + s.Checked + "）")
	return b.String()
}

// FormatChannel renders a complaint channel: what it handles and how to file.
func FormatChannel(c *legal.Channel) string {
	var b strings.Builder
	b.WriteString(c.Name)
	line := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			b.WriteString("\n" + label + "：" + v)
		}
	}
	line("管什么", c.Handles)
	line("什么时候找它", c.When)
	line("怎么做", c.How)
	line("联系方式", c.Contact)
	line("注意", c.Note)
	return b.String()
}
