package flow

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// How people say they cannot, or would rather not, answer a question. At an
// optional question each means "skip": none of it may reach a draft as if
// it were a fact ("借款平台：不知道", "算了及其委托的催收人员").
var dontKnow = []string{
	msgSkip, "不知道", "不晓得", "不清楚", "不记得", "记不清", "记不得", "记不起来", "想不起来",
	"忘了", "忘记了", "不确定", "说不清", "说不好", "不好说", "不想说", "不想写", "不想回答",
	"不方便说", "没注意", "没留意", "没数", "算了", "不填了", "不写了", "不用了", "不想填", "不用填",
}

// dontKnowSubject is what may stand before those words: "我也不知道".
var dontKnowSubject = []string{"我", "也", "真的", "实在", "确实", "完全", "都", "那", "就", "唉", "哎"}

// aboutTheQuestion is what may follow the words and still only say what is
// not known: "不知道是哪个平台，有好几个". Anything else is the person's
// answer in their own words, and is kept: "不记得了，反正每天都有",
// "不想说话，也不想出门", "不知道怎么跟家人解释".
var aboutTheQuestion = regexp.MustCompile(`^(是|在|具体|到底|究竟)*(哪|什么|啥|多少|几号|几月|几点|号码|名字|名称|平台|日期|时间|时候)`)

// maxDontKnowTail bounds that rest: a long text after the words is an answer.
const maxDontKnowTail = 12

// meansDontKnow tells whether typed text says the person does not know or
// would rather not say, rather than answering.
func meansDontKnow(in string) bool {
	s := normalizeText(in)
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range dontKnowSubject {
			if rest, ok := strings.CutPrefix(s, p); ok && rest != "" {
				s, trimmed = rest, true
			}
		}
	}
	for _, w := range dontKnow {
		rest, ok := strings.CutPrefix(s, w)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(rest, "了啊呀呢吧哦啦")
		return rest == "" || aboutTheQuestion.MatchString(rest) && utf8.RuneCountInString(rest) <= maxDontKnowTail
	}
	return false
}

// backWords are typed answers that mean /back.
var backWords = map[string]bool{"返回": true, "上一步": true, "后退": true, "撤回": true, "回到上一步": true, "返回上一步": true}

// bareNumber reads text that is only a number, like "3" or "３、".
func bareNumber(in string) (int, bool) {
	s := strings.TrimRight(halfWidth.Replace(strings.TrimSpace(in)), ".、) ")
	if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Courtesies are replies that carry no answer: they are met kindly, never
// with "没看懂", and never saved as an answer ("借款平台：好的"). A reply made
// only of these words is one ("好的谢谢", "嗯嗯好的", "谢谢您"); longest first.
var courtesyWords = []string{
	"非常感谢", "太感谢了", "谢谢你们", "谢谢您", "谢谢你", "感谢您", "辛苦了", "谢谢", "感谢", "多谢", "谢啦", "辛苦",
	"知道了", "明白了", "thankyou", "thanks", "okay", "好的", "好滴", "好吧", "收到", "知道", "明白", "懂了", "可以",
	"嗯", "哦", "噢", "好", "行", "thx", "ok", "了", "啦", "呀", "啊",
}

// courtesyKind says whether text is only courtesy words, and whether it
// thanks.
func courtesyKind(in string) (courtesy, thanks bool) {
	s := normalizeText(in)
	if s == "" {
		return false, false
	}
	words := 0 // particles alone ("啊啊啊") are no courtesy
	for s != "" {
		found := false
		for _, w := range courtesyWords {
			if rest, ok := strings.CutPrefix(s, w); ok {
				thanks = thanks || strings.ContainsAny(w, "谢感辛") || strings.HasPrefix(w, "th")
				if !courtesyParticles[w] {
					words++
				}
				s, found = rest, true
				break
			}
		}
		if !found {
			return false, false
		}
	}
	return words > 0, thanks
}

var courtesyParticles = map[string]bool{"了": true, "啦": true, "呀": true, "啊": true}

// courtesy answers a thank-you or an "OK" with a word and the question again.
func (t *turn) courtesy(step *Step, in string) bool {
	courtesy, thanks := courtesyKind(in)
	switch {
	case !courtesy:
		return false
	case thanks:
		t.notice(msgThanks)
	case step.Ask == nil:
		t.notice(msgOKChoose) // "好的" to a question with options is no choice yet
	default:
		t.notice(msgOK)
	}
	t.reshow()
	return true
}
