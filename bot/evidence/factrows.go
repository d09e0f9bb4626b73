package evidence

import "github.com/anning-bot/anning/bot/evidence/facts"

// factRow is one labelled line of what was read from a piece of evidence.
type factRow struct {
	label  string
	values []string
}

// factRows lists what f holds in the order people read it, empty rows
// included; the chat summary and the readable evidence list share it.
func factRows(f *facts.Facts) []factRow {
	var phones, conduct []string
	for _, p := range f.Phones {
		phones = append(phones, p.Number)
	}
	for _, c := range f.Conduct {
		conduct = append(conduct, c.Label)
	}
	return []factRow{{"电话", phones}, {"平台", f.Platforms}, {"日期", f.Dates}, {"金额", f.Amounts}, {"可能涉及", conduct}}
}

// collector gathers values across items, each once, in first-seen order.
type collector map[string]bool

func (c collector) add(list *[]string, v string) {
	if !c[v] {
		c[v] = true
		*list = append(*list, v)
	}
}
