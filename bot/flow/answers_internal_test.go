package flow

import "testing"

func TestMeansDontKnow(t *testing.T) {
	for in, want := range map[string]bool{
		"跳过":     true,
		"不知道":    true,
		"不记得了":   true,
		"我真的忘了":  true,
		"我也不清楚啊": true,
		"我不知道是哪个平台 有好几个": true,
		"不想说。":          true,
		"不清楚，大概每天十几个":   false, // what they do know follows
		"不记得，应该是去年":     false,
		"我不知道怎么办":       false, // a cry for help, not a skip
		"不知道该怎么处理？":     false,
		"闪电贷":           false,
		"每天好几个电话，我都不知道": false, // an answer that ends in doubt is still an answer
		"":            false,
		"算了":          true,
		"唉，那就算了吧":     true,
		"不知道具体哪天":     true,
		"不想说话，也不想出门":  false, // a sign of withdrawal, not "不想说"
		"不知道怎么跟家人解释":  false,
		"记不清事情，天天失眠":  false,
		"不确定会不会被开除":   false,
		"忘了吃饭，整夜睡不着":  false,
		"记不清了，天天打":    false,
		"不记得了，反正每天都有": false,
		"不清楚，很多":      false,
		"不知道还能撑多久":    false,
	} {
		if got := meansDontKnow(in); got != want {
			t.Errorf("meansDontKnow(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestBareNumber(t *testing.T) {
	for in, want := range map[string]int{"1": 1, " ３、": 3, "12.": 12} {
		if got, ok := bareNumber(in); !ok || got != want {
			t.Errorf("bareNumber(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-1", "+3", "1a", "95188", "一"} {
		if _, ok := bareNumber(in); ok {
			t.Errorf("bareNumber(%q) read a number", in)
		}
	}
}

func TestCourtesyKind(t *testing.T) {
	for in, want := range map[string][2]bool{
		"谢谢":     {true, true},
		"谢谢您":    {true, true},
		"好的谢谢":   {true, true},
		"嗯嗯好的":   {true, false},
		"好的，知道了": {true, false},
		"可以":     {true, false},
		"OK!":    {true, false},
		"好借":     {false, false}, // a name, not a courtesy
		"啊啊啊啊":   {false, false},
		"好的，继续":  {false, false},
		"谢谢，没有了": {false, false},
		"":       {false, false},
	} {
		if c, th := courtesyKind(in); c != want[0] || th != want[1] {
			t.Errorf("courtesyKind(%q) = %v, %v; want %v", in, c, th, want)
		}
	}
}

func TestLooksForwarded(t *testing.T) {
	for in, want := range map[string]bool{
		"【闪电贷】您的还款已逾期，请尽快处理":    true,
		"您好，您的朋友张三借款逾期，请转告他还款":  true,
		"【融易花】温馨提示":             true,
		"谢谢您，我再想想":              false, // the person's own politeness
		"您能再说一遍吗":               false,
		"不好意思打扰您了":              false,
		"您好，我逾期了怎么办？":           false, // a question
		"催收天天打我电话，说我逾期了":        false,
		"他们发的短信里有个括号【】但我记不清内容了": true, // signed-looking: offered, and the topics too
	} {
		if got := looksForwarded(in); got != want {
			t.Errorf("looksForwarded(%q) = %v, want %v", in, got, want)
		}
	}
}
