package flow

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// How people say they cannot, or would rather not, answer a question. At an
// optional question each means "skip": none of it may reach a draft as if
// it were a fact ("借款平台：不知道").
var dontKnow = []string{
	msgSkip, "不知道", "不晓得", "不清楚", "不记得", "记不清", "记不得", "记不起来", "想不起来",
	"忘了", "忘记了", "不确定", "说不清", "说不好", "不好说", "不想说", "不想写", "不想回答",
	"不方便说", "没注意", "没留意", "没数",
}

// dontKnowSubject is what may stand before those words: "我也不知道".
var dontKnowSubject = []string{"我", "也", "真的", "实在", "确实", "完全", "都"}

// approximate marks an answer that goes on after "不清楚" with what the
// person does know: "不清楚，大概每天十几个" is an answer, not a skip.
var approximate = regexp.MustCompile(`[0-9一二三四五六七八九十百]|大概|大约|差不多|可能|应该|好像|估计|左右|也许|至少|最多`)

// askingWhatToDo marks "不知道怎么办": a cry for help, never a skip.
var askingWhatToDo = regexp.MustCompile(`怎么办|咋办|咋整|怎么弄|怎么处理|该怎么|如何|[?？]`)

// maxDontKnowTail bounds what may follow the words: "不知道是哪个平台，有好几个"
// still says "I don't know"; a long text after them is an answer.
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
		return rest == "" || utf8.RuneCountInString(rest) <= maxDontKnowTail &&
			!approximate.MatchString(rest) && !askingWhatToDo.MatchString(rest)
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
// with "没看懂", and never saved as an answer ("借款平台：好的").
var (
	thanksWords = map[string]bool{"谢谢": true, "谢谢你": true, "谢谢了": true, "谢谢啦": true, "多谢": true, "感谢": true,
		"非常感谢": true, "太感谢了": true, "谢啦": true, "thanks": true, "thankyou": true, "thx": true}
	okWords = map[string]bool{"好的": true, "好": true, "好吧": true, "嗯": true, "嗯嗯": true, "哦": true, "噢": true,
		"ok": true, "okay": true, "收到": true, "知道了": true, "明白了": true, "明白": true, "行": true, "好滴": true, "懂了": true}
)

// courtesy answers a thank-you or an "OK" with a word and the question again.
func (t *turn) courtesy(in string) bool {
	n := normalizeText(in)
	switch {
	case thanksWords[n]:
		t.notice(msgThanks)
	case okWords[n]:
		t.notice(msgOK)
	default:
		return false
	}
	t.reshow()
	return true
}
