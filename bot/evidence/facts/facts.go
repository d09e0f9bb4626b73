// Package facts pulls the facts a complaint needs out of the text of
// forwarded evidence (OCR of screenshots, pasted messages): phone numbers,
// dates, sums, lending platforms, and the kinds of unlawful collection
// conduct, each mapped to the statutes of content/statutes.yaml.
//
// It is pure: no I/O but LoadRules reading its rules file, no global state.
// Extraction is tolerant of what tesseract's chi_sim model does to chat
// screenshots (numbers wrapped across bubble lines, 逾期 read as 这期, 上门
// as 上和, spaces inside names), so what it finds is a proposal the person
// confirms, never a finding.
package facts

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Rules are the editable parts of extraction, loaded from
// content/evidence.yaml by LoadRules, which compiles the conduct patterns:
// the conduct rules of a Rules built by hand are not applied. Rules are
// read-only once loaded and safe for concurrent use.
type Rules struct {
	Platforms []string      // known lending platform and app names
	Conduct   []ConductRule // kinds of conduct to recognise

	patterns *patternSet // all conduct patterns, set by LoadRules
}

// ConductRule recognises one kind of conduct.
type ConductRule struct {
	ID       string   // stable id, e.g. contact-third-parties
	Label    string   // plain Chinese shown to the person, e.g. 联系第三人
	Patterns []string // Go regexps over the compacted text (see evidence.yaml)
	Statutes []string // ids of current statutes in content/statutes.yaml
	// MinCount is how many separate matches are needed (0 or 1: one);
	// e.g. a call log must show several collection calls.
	MinCount int
}

// Phone is a normalized phone number: 13812345678, 021-61234567,
// 0755-26543210, 95188, 10690571234567, 4008123123.
type Phone struct {
	Number string `json:"number"`
	Kind   string `json:"kind"` // KindMobile, KindLandline or KindService
}

// Facts are what Extract found in one text.
type Facts struct {
	Phones    []Phone   `json:"phones,omitempty"`    // in order of first appearance, no duplicates
	Dates     []string  `json:"dates,omitempty"`     // "2024-03-15 09:21" or "2024-03-15"
	Amounts   []string  `json:"amounts,omitempty"`   // "8650元"
	Platforms []string  `json:"platforms,omitempty"` // 闪电贷, 有钱花
	Conduct   []Conduct `json:"conduct,omitempty"`   // in order of first appearance
}

// Conduct is one kind of conduct found in the text.
type Conduct struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Statutes []string `json:"statutes"`
	Evidence string   `json:"evidence"` // a short excerpt around the first match
}

// evidenceContext is how many characters Evidence shows on each side.
const evidenceContext = 12

// Extract reads text (OCR output or a message) and returns its facts. ref is
// the day the evidence was received: it dates 昨天/今天/前天 and dates
// written without a year; with a zero ref only absolute dates are kept. A
// nil *Rules still finds phones, dates, sums and SMS signatures.
func (r *Rules) Extract(text string, ref time.Time) Facts {
	norm := normalize(text)
	comp := compact(norm)
	f := Facts{
		Phones:  phones(norm),
		Dates:   dates(norm, ref),
		Amounts: amounts(norm),
	}
	if r == nil {
		r = &Rules{}
	}
	f.Platforms = r.platforms(norm, comp)
	f.Conduct = r.conduct(comp)
	return f
}

// signatureRe: the 【签名】 that starts or ends every Chinese SMS. OCR may
// read one of the brackets as [ or ], so one lenticular bracket is enough.
var signatureRe = regexp.MustCompile(`([【\[［〖])([\p{Han}A-Za-z0-9·]{2,12})([】\]］〗])`)

// notSignatures are bracketed words that are not senders: chat placeholders
// ([图片]) and notice headings (【温馨提示】).
var notSignatures = []string{"图片", "语音", "表情", "链接", "文件", "红包", "转账", "视频", "位置", "名片",
	"小程序", "聊天记录", "通话", "撤回", "通知", "提示", "提醒", "公告", "警告", "验证码", "催收", "告知"}

type platformHit struct {
	pos  int
	name string
}

// platforms finds lender names in compacted text comp (of normalized text
// norm): SMS signatures, the known names of Rules.Platforms, and names inside
// running text (see lendersInText).
func (r *Rules) platforms(norm, comp string) []string {
	var hits []platformHit
	for _, m := range signatureRe.FindAllStringSubmatchIndex(comp, -1) {
		open, name, closing := comp[m[2]:m[3]], comp[m[4]:m[5]], comp[m[6]:m[7]]
		if open != "【" && open != "〖" && closing != "】" && closing != "〗" {
			continue
		}
		if containsAny(name, notSignatures) {
			continue
		}
		hits = append(hits, platformHit{m[0], r.correct(name)})
	}
	for _, p := range r.Platforms {
		if i := strings.Index(comp, p); i >= 0 {
			hits = append(hits, platformHit{i, p})
		}
	}
	hits = append(hits, r.lendersInText(norm, comp)...)
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	var out []string
	count := map[string]int{}
	at := map[platformHit]bool{}
	for _, h := range hits {
		if at[h] {
			continue // found twice at the same place
		}
		at[h] = true
		if count[h.name] == 0 {
			out = append(out, h.name)
		}
		count[h.name]++
	}
	return r.mergeMisreadings(out, count)
}

// mergeMisreadings drops an unknown name of four or more characters that is
// one character off another name of the same text (OCR read 橙子白条 once as
// 棍子白条): two lenders so named in one screenshot are less likely than a
// misreading. The name found more often stays, or the earlier one.
func (r *Rules) mergeMisreadings(names []string, count map[string]int) []string {
	known := func(n string) bool {
		for _, p := range r.Platforms {
			if p == n {
				return true
			}
		}
		return false
	}
	var out []string
	for i, n := range names {
		drop := false
		for j, o := range names {
			if i == j || known(n) || runeLen(n) < 4 || runeLen(o) < 4 || !oneEditApart([]rune(n), []rune(o)) {
				continue
			}
			if count[o] > count[n] || count[o] == count[n] && j < i {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, n)
		}
	}
	return out
}

// correct maps a name that OCR misread in one character (内电贷), or into
// which it put or from which it dropped one (融易人花), to the one known
// platform name it is that close to (闪电贷, 融易花). Only names and known
// names of three or more characters are corrected, so that one wrong
// character cannot turn one short name into another.
func (r *Rules) correct(name string) string {
	rn := []rune(name)
	if len(rn) < 3 {
		return name
	}
	found := ""
	for _, p := range r.Platforms {
		if p == name {
			return name
		}
		rp := []rune(p)
		if len(rp) < 3 || !oneEditApart(rn, rp) {
			continue
		}
		if found != "" && found != p {
			return name // two candidates: leave it as read
		}
		found = p
	}
	if found != "" {
		return found
	}
	return name
}

// oneEditApart: a and b differ in exactly one character changed, added or
// removed.
func oneEditApart(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
			}
		}
		return diff == 1
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		for ; i < len(b); i++ {
			if a[i+1] != b[i] {
				return false
			}
		}
		return true
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

type conductHit struct {
	pos int
	c   Conduct
}

// conduct applies the conduct rules to compacted text.
func (r *Rules) conduct(comp string) []Conduct {
	if r.patterns == nil || r.patterns.rules != len(r.Conduct) {
		return nil // rules not made by LoadRules
	}
	var hits []conductHit
	for i, found := range r.patterns.scan(comp) {
		rule := &r.Conduct[i]
		kept := choose(found)
		if len(kept) == 0 || len(kept) < rule.MinCount {
			continue
		}
		first := kept[0]
		hits = append(hits, conductHit{first[0], Conduct{
			ID:       rule.ID,
			Label:    rule.Label,
			Statutes: append([]string(nil), rule.Statutes...),
			Evidence: excerpt(comp, first[0], first[1], evidenceContext),
		}})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	var out []Conduct
	for _, h := range hits {
		out = append(out, h.c)
	}
	return out
}

// runeLen is the length of s in characters.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
