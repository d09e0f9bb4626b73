package facts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lending platforms are often named only inside running text: "你在花花分期
// 的账单已逾期", "我是橙子白条的委外催收员", "你在融易花和米粒借的欠款", or as
// a call-log label "好运贷客服". A name there is taken when it sits between
// an anchor (在, 是, 从…, or the start of a line) and a cue (的账单, 借了,
// 贷后, 客服…), and it is either a known platform of Rules.Platforms (or one
// character off one, as with signatures) or ends like a lender's name (贷,
// 花, 借, 分期, 钱包, 白条…) and is not a generic word (本平台, 我司, 网贷).

// lenderAnchors come right before a platform's name in a sentence.
var lenderAnchors = []string{"在", "是", "从", "向", "用", "登录", "下载", "注册"}

// lenderCues follow a platform's name, after an optional 的.
var lenderCues = []string{"账单", "借款", "贷款", "欠款", "债务", "分期", "额度", "还款", "逾期",
	"委外", "催收", "贷后", "客服", "法务", "专员", "工作人员", "APP", "App", "app", "平台", "账户", "订单", "合同"}

// lenderCuesNoDe follow a name directly (never after 的).
var lenderCuesNoDe = []string{"借了", "借的", "借钱", "贷了", "贷的", "欠了", "欠的", "还有", "申请"}

// lenderSeparators join two names: "在融易花和米粒借的欠款".
var lenderSeparators = []string{"和", "及", "与", "、", "跟"}

// lenderSuffixes: how the names of lending apps end.
var lenderSuffixes = []string{"分期", "钱包", "白条", "借条", "金条", "贷", "花", "借"}

// notNameRunes never occur in a platform's name: they are the words around it.
const notNameRunes = "的了已是在和与及或跟、我你您他她它们这那哪还欠也都就把被给让向从对为很再不没吗呢吧啊呀该本其各每某此"

// genericLenders end like a name but name no platform.
var genericLenders = []string{"平台", "网贷", "公司", "我司", "本司", "贵司", "小贷", "借贷", "信贷", "现金贷", "消费贷",
	"信用贷", "个人贷", "高利贷", "套路贷", "校园贷", "裸贷", "现金分期", "账单分期", "消费分期", "免息分期", "信用卡",
	"银行", "金融机构", "APP", "App", "app"}

const (
	minLenderRunes  = 2 // a known name: 借呗
	maxLenderRunes  = 8 // 马上消费金融 and a little more
	minUnknownRunes = 3 // an unknown name ending like a lender: 米粒借, not 网贷
)

// lendersInText finds platform names inside the running text of compacted
// text comp and at the start of the lines of normalized text norm.
func (r *Rules) lendersInText(norm, comp string) []platformHit {
	var hits []platformHit
	for i := 0; i < len(comp); {
		anchor := ""
		for _, a := range lenderAnchors {
			if strings.HasPrefix(comp[i:], a) {
				anchor = a
				break
			}
		}
		if anchor == "" {
			_, size := utf8.DecodeRuneInString(comp[i:])
			i += size
			continue
		}
		start := i + len(anchor)
		for _, n := range r.lenderNames(comp[start:], sentenceCue, 0) {
			hits = append(hits, platformHit{start + n.pos, n.name})
		}
		i = start
	}
	// Line starts: call-log labels (好运贷客服). A line may start in the
	// middle of a wrapped sentence, so only a label's cue is taken there
	// (not 账单: "现金分期账单" is no platform). Positions are mapped to comp.
	off := 0
	for _, line := range strings.Split(norm, "\n") {
		s := compact(line)
		if s == "" {
			continue
		}
		at := strings.Index(comp[off:], s)
		if at < 0 {
			continue
		}
		at += off
		off = at + len(s)
		for _, n := range r.lenderNames(s, labelCue, 0) {
			hits = append(hits, platformHit{at + n.pos, n.name})
		}
	}
	return hits
}

type lenderName struct {
	pos  int // in the string given to lenderNames
	name string
}

// lenderNames reads s as one or more platform names joined by 和/及/、 and
// followed by a cue, and returns them (nil if s does not start so). The
// longest name that fits wins. cue tells whether what follows a name is a cue.
func (r *Rules) lenderNames(s string, cue func(string) bool, depth int) []lenderName {
	ends := nameEnds(s)
	for k := len(ends) - 1; k >= minLenderRunes-1; k-- {
		end := ends[k]
		name, rest := s[:end], s[end:]
		if !r.lenderLike(name) {
			continue
		}
		if cue(rest) {
			return []lenderName{{0, r.correct(name)}}
		}
		if depth >= 3 {
			continue
		}
		for _, sep := range lenderSeparators {
			if !strings.HasPrefix(rest, sep) {
				continue
			}
			skip := end + len(sep)
			if more := r.lenderNames(s[skip:], cue, depth+1); more != nil {
				out := []lenderName{{0, r.correct(name)}}
				for _, m := range more {
					out = append(out, lenderName{skip + m.pos, m.name})
				}
				return out
			}
		}
	}
	return nil
}

// nameEnds: the byte offsets in s after 1, 2, … maxLenderRunes characters
// that may belong to a name (Chinese characters, ASCII letters and digits).
func nameEnds(s string) []int {
	var ends []int
	for i, r := range s {
		if len(ends) == maxLenderRunes {
			break
		}
		if !(unicode.Is(unicode.Han, r) || isASCIIAlnum(r)) || strings.ContainsRune(notNameRunes, r) {
			break
		}
		ends = append(ends, i+utf8.RuneLen(r))
	}
	return ends
}

// lenderLike: name is a known platform (or one character off one), or an
// unknown name that ends like a lender's and is no generic word.
func (r *Rules) lenderLike(name string) bool {
	n := runeLen(name)
	if n < minLenderRunes {
		return false
	}
	for _, p := range r.Platforms {
		if p == name {
			return true
		}
	}
	if r.correct(name) != name {
		return true
	}
	if n < minUnknownRunes || containsAny(name, genericLenders) {
		return false
	}
	han := 0
	for _, c := range name {
		if unicode.Is(unicode.Han, c) {
			han++
		}
	}
	if han < 2 {
		return false // 3000借: a sum before 借, not a name
	}
	for _, suf := range lenderSuffixes {
		if strings.HasSuffix(name, suf) && runeLen(name) > runeLen(suf) {
			return true
		}
	}
	return false
}

// sentenceCue: rest starts with a cue of lenderCues or lenderCuesNoDe.
func sentenceCue(rest string) bool {
	for _, c := range lenderCuesNoDe {
		if strings.HasPrefix(rest, c) {
			return true
		}
	}
	rest = strings.TrimPrefix(rest, "的")
	for _, c := range lenderCues {
		if strings.HasPrefix(rest, c) {
			return true
		}
	}
	return false
}

// labelCues follow a platform's name at the start of a line (a call log's
// 好运贷客服).
var labelCues = []string{"客服", "官方", "APP", "App", "app"}

func labelCue(rest string) bool {
	for _, c := range labelCues {
		if strings.HasPrefix(rest, c) {
			return true
		}
	}
	return false
}
