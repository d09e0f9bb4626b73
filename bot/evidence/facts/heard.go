package facts

import (
	"strings"
	"time"
)

// Relations group the words people use for whom the collectors reached, as
// the drafts name them (家人, 朋友, 同事、领导).
var relations = []struct {
	Group string
	Words []string
}{
	{"家人", []string{"家人", "家里人", "亲戚", "妈", "爸", "父母", "老婆", "老公", "妻子", "丈夫", "爱人", "儿子", "女儿", "孩子", "哥", "姐", "弟", "妹", "爷爷", "奶奶", "外婆", "外公", "姥姥", "姥爷", "公公", "婆婆", "岳父", "岳母", "舅", "姨", "叔", "姑"}},
	{"朋友", []string{"朋友", "同学", "闺蜜", "兄弟", "室友", "发小", "网友"}},
	{"同事", []string{"同事", "单位", "公司", "hr", "HR"}},
	{"领导", []string{"领导", "老板", "上司", "主管", "经理"}},
}

// Heard reads the facts of a person's own message: the first platform,
// amount, date and phone number, the groups of people they say were
// contacted, and the kinds of conduct they describe. The keys are the
// heard_* variables of the flows (flows/README.md); values are proposals
// the person confirms before a draft uses them. ref dates 昨天 and 今天.
func (r *Rules) Heard(text string, ref time.Time) map[string]string {
	f := r.Extract(text, ref)
	out := map[string]string{}
	for _, p := range f.Platforms {
		if !negated(text, p) {
			out["heard_platform"] = p
			break
		}
	}
	if len(f.Amounts) > 0 {
		out["heard_amount"] = f.Amounts[0]
	}
	if len(f.Dates) > 0 {
		out["heard_date"] = f.Dates[0]
	}
	if len(f.Phones) > 0 {
		out["heard_phone"] = f.Phones[0].Number
	}
	var groups []string
	for _, rel := range relations {
		for _, w := range rel.Words {
			if strings.Contains(text, w) {
				groups = append(groups, rel.Group)
				break
			}
		}
	}
	if len(groups) > 0 {
		out["heard_contacted"] = joinContacted(groups)
	}
	var conduct []string
	for _, c := range f.Conduct {
		conduct = append(conduct, c.Label)
	}
	if len(conduct) > 0 {
		out["heard_conduct"] = strings.Join(conduct, "、")
	}
	return out
}

// joinContacted writes the groups as the drafts do: 家人、朋友和同事.
func joinContacted(groups []string) string {
	// 同事 and 领导 read as one group: 同事、领导.
	var parts []string
	hasLeader := false
	for _, g := range groups {
		if g == "领导" {
			hasLeader = true
			continue
		}
		parts = append(parts, g)
	}
	for i, p := range parts {
		if p == "同事" && hasLeader {
			parts[i] = "同事、领导"
			hasLeader = false
		}
	}
	if hasLeader {
		parts = append(parts, "领导")
	}
	switch len(parts) {
	case 1:
		return parts[0]
	default:
		return strings.Join(parts[:len(parts)-1], "、") + "和" + parts[len(parts)-1]
	}
}

// negations are the words that, just before a name, say it is not the one:
// "不是闪电贷，是融易花" names 融易花.
var negations = []string{"不是", "不是在", "不是从", "并非", "没在", "没有在", "没用过", "不在"}

// negated reports whether every mention of name in text follows a negation
// (a name read from another spelling of it is taken as said).
func negated(text, name string) bool {
	for rest, seen := text, false; ; seen = true {
		i := strings.Index(rest, name)
		if i < 0 {
			return seen
		}
		before := strings.TrimRight(rest[:i], " ，,、")
		no := false
		for _, n := range negations {
			// "是不是闪电贷" asks; it does not deny.
			if strings.HasSuffix(before, n) && !strings.HasSuffix(before, "是"+n) {
				no = true
				break
			}
		}
		if !no {
			return false
		}
		rest = rest[i+len(name):]
	}
}
