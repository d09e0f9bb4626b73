package understand_test

import (
	"fmt"
	"testing"

	"github.com/anning-bot/anning/bot/understand"
)

func TestNormalize(t *testing.T) {
	n := understand.NewNormalizer(map[string]string{"咋办": "怎么办", "咋": "怎么", "银保监会": "金融监管局"})
	for in, want := range map[string]string{
		"通讯录被爆了，咋办？？":   "通讯录被爆了怎么办",
		"咋整 他们 打我妈":     "怎么整他们打我妈",
		"ＡＢＣ４５６　！":      "abc0",
		"借了3,000 还5000": "借了00还0",
		"打12378或者１１０":   "打12378或者110",
		"手机13812345678": "手机0",
		"向银保监会投诉":       "向金融监管局投诉",
		"":              "",
		"🙂🙂":            "",
	} {
		if got := n.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func examples() []understand.Example {
	var ex []understand.Example
	add := func(class string, texts ...string) {
		for _, s := range texts {
			ex = append(ex, understand.Example{Class: class, Text: s})
		}
	}
	add("credit", "会上征信吗", "征信花了", "逾期记录多久消除", "影响征信吗", "黑名单", "信用报告会不会有记录")
	add("police", "我要报警", "可以报警吗", "去派出所报案", "打110", "警察管不管", "报案要带什么")
	add("other", "今天天气", "哈哈", "吃饭了吗", "好的", "推荐电影", "快递到哪了")
	return ex
}

func TestClassify(t *testing.T) {
	m := understand.Train(examples(), nil)
	for text, want := range map[string]string{"逾期了会上征信么": "credit", "我想去派出所": "police", "天气怎么样": "other"} {
		scores, known := m.Classify(text)
		if scores[0].Class != want {
			t.Errorf("%q: %v, want %s", text, scores, want)
		}
		if known <= 0 || known > 1 {
			t.Errorf("%q: known share %v", text, known)
		}
		sum := 0.0
		for _, s := range scores {
			sum += s.P
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("%q: probabilities add up to %v", text, sum)
		}
	}
	if _, known := m.Classify("😀"); known != 0 {
		t.Errorf("a message with no words is known %v", known)
	}
}

// Training is deterministic, and the same inputs give the same model back.
func TestTrainIsDeterministicAndCached(t *testing.T) {
	a := understand.Train(examples(), nil)
	b := understand.Train(examples(), nil)
	if a != b {
		t.Error("the same examples trained a second model")
	}
	ex := examples()
	ex = append(ex, understand.Example{Class: "other", Text: "随便聊聊"})
	c := understand.Train(ex, nil)
	d := understand.Train(append([]understand.Example(nil), ex...), nil)
	if c == a || c != d {
		t.Error("models were not kept by their inputs")
	}
	s1, _ := a.Classify("征信会不会花")
	s2, _ := understand.Train(examples(), map[string]string{"x": "y"}).Classify("征信会不会花")
	if fmt.Sprint(s1) != fmt.Sprint(s2) {
		t.Errorf("training is not deterministic: %v vs %v", s1, s2)
	}
}

func TestCrossValidate(t *testing.T) {
	reports := understand.CrossValidate(examples(), nil, 3)
	if len(reports) != 3 {
		t.Fatalf("%d reports", len(reports))
	}
	for _, r := range reports {
		if r.Examples != 6 || r.Correct+sum(r.Confused) != r.Examples {
			t.Errorf("%+v", r)
		}
	}
	p := understand.HeldOutScores(examples(), nil, 3, "police")
	if len(p) != len(examples()) {
		t.Fatalf("%d scores", len(p))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
