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
		"": false,
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
