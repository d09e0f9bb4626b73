package facts_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/anning-bot/anning/bot/evidence/facts"
)

// kindPattern is what a normalized number of each kind looks like.
var kindPattern = map[string]*regexp.Regexp{
	facts.KindMobile:   regexp.MustCompile(`^1[3-9]\d{9}$`),
	facts.KindLandline: regexp.MustCompile(`^(0(10|2\d)-[2-9]\d{7}|0[3-9]\d{2}-[2-9]\d{6,7})$`),
	facts.KindService:  regexp.MustCompile(`^(9[56]\d{3,4}|106\d{5,17}|[48]00\d{7})$`),
}

func TestPhones(t *testing.T) {
	var none *facts.Rules // phones need no rules
	cases := []struct {
		name, text string
		want       []string
	}{
		{"wrapped landline", "详询 021-61\n234567 或 17701234567", []string{"021-61234567", "17701234567"}},
		{"wrapped, no spaces", "详询 021-61\n234567或17701234567", []string{"021-61234567", "17701234567"}},
		{"wrapped after a blank line", "详询 021-61\n\n234567", []string{"021-61234567"}},
		{"not across two blank lines", "详询 021-61\n\n\n234567", nil},
		{"wrapped mobile in groups", "电话 138 1234\n5678 找他", []string{"13812345678"}},
		{"wrapped 4-digit area code", "0755-2654\n3210", []string{"0755-26543210"}},
		{"wrap after a whole number", "电话13812345678 021-61\n234567", []string{"13812345678", "021-61234567"}},
		{"whole numbers on two lines stay apart", "13812345678\n13912345678", []string{"13812345678", "13912345678"}},
		{"service number then a date", "95188\n3月14日", []string{"95188"}},
		{"whole short number not glued to the next line", "客服 95188\n1234", []string{"95188"}},
		{"mobile with dashes", "138-1234-5678", []string{"13812345678"}},
		{"mobile with spaces", "138 1234 5678", []string{"13812345678"}},
		{"+86 prefix", "+86 199 1234 5678", []string{"19912345678"}},
		{"0086 prefix", "0086-13812345678", []string{"13812345678"}},
		{"full-width", "（０２１）６１２３４５６７，１３８１２３４５６７８", []string{"021-61234567", "13812345678"}},
		{"full-width dash", "０７５５－２６５４３２１０", []string{"0755-26543210"}},
		{"Beijing", "010-62345678", []string{"010-62345678"}},
		{"seven-digit subscriber", "0898-6123456", []string{"0898-6123456"}},
		{"400 with dashes", "客服400-812-3123", []string{"4008123123"}},
		{"800", "8008102000", []string{"8008102000"}},
		{"106 gateway", "10690571234567", []string{"10690571234567"}},
		{"95 and 96", "95555 96555", []string{"95555", "96555"}},
		{"two numbers side by side", "021-61234567 17701234567", []string{"021-61234567", "17701234567"}},
		{"duplicates once", "13812345678 再打 138-1234-5678", []string{"13812345678"}},
		{"time before a number", "09:05 13598765432", []string{"13598765432"}},
		{"time after a number", "13598765432 09:05", []string{"13598765432"}},
		{"date before a number", "2024-03-15 13812345678", []string{"13812345678"}},
		{"amount after a number", "电话13812345678 8650元", []string{"13812345678"}},
		{"号码 is not a unit", "13812345678号码", []string{"13812345678"}},
		{"area code in parentheses", "(021) 61234567 或 (0755)26543210", []string{"021-61234567", "0755-26543210"}},
		{"list item number", "(1) 13812345678\n2) 13912345678", []string{"13812345678", "13912345678"}},
		{"comma-separated list", "号码:13812345678,13912345678", []string{"13812345678", "13912345678"}},
		{"slash-separated alternatives", "电话13812345678/021-61234567", []string{"13812345678", "021-61234567"}},
		{"minutes before a number", "09:21 95188", []string{"95188"}},

		{"bank card wrapped (wechat2)", "还款账户：6222 0210 0112 3456 7\n89 王某某", nil},
		{"bank card in one piece", "6222021001123456789", nil},
		{"bank card hiding a mobile", "卡号 6222 1381 2345 678", nil},
		{"bank card of 4-digit groups", "6217 0000 1000 0123 456", nil},
		{"ID card", "身份证110101199003071234", nil},
		{"amount", "欠款13812元", nil},
		{"amount with yen", "¥ 95188", nil},
		{"amount with separators", "共计 95,188.00", nil},
		{"amount with separators, no decimals", "共计 13,812,345,678", nil},
		{"slash date", "2024/10/15", nil},
		{"time", "19:12:34", nil},
		{"amount in 万", "95188万", nil},
		{"overdue days wrapped", "已逾期47\n天", nil},
		{"street number", "幸福路88号", nil},
		{"year", "2024年3月15日", nil},
		{"dash date", "2024-03-15", nil},
		{"clock and battery", "10:42   5G 87%", nil},
		{"decimal", "3.1415926535", nil},
		{"too short", "110 120 12345", nil},
		{"landline with a bad subscriber", "021-01234567", nil},
		{"landline with a bad area code", "0210-1234567", nil},
		{"mobile with a bad prefix", "12812345678", nil},
		{"a mobile one digit short", "1381234567", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := none.Extract(c.text, time.Time{}).Phones
			if nums := numbers(got); !slices.Equal(nums, c.want) {
				t.Errorf("%q: phones %q, want %q", c.text, nums, c.want)
			}
			for _, p := range got {
				if !kindPattern[p.Kind].MatchString(p.Number) {
					t.Errorf("%+v does not match its kind", p)
				}
			}
		})
	}
}

func TestPhoneKinds(t *testing.T) {
	var none *facts.Rules
	got := none.Extract("13812345678 021-61234567 95188 10690571234567 4008123123", time.Time{}).Phones
	want := []facts.Phone{
		{Number: "13812345678", Kind: facts.KindMobile},
		{Number: "021-61234567", Kind: facts.KindLandline},
		{Number: "95188", Kind: facts.KindService},
		{Number: "10690571234567", Kind: facts.KindService},
		{Number: "4008123123", Kind: facts.KindService},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestDates(t *testing.T) {
	var none *facts.Rules
	ref := time.Date(2024, 3, 19, 10, 0, 0, 0, time.UTC)
	jan := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name, text string
		ref        time.Time
		want       []string
	}{
		{"上午", "2024年3月15日 上午09:21", time.Time{}, []string{"2024-03-15 09:21"}},
		{"下午 in 24h stays", "2024年3月16日 下午14:05", time.Time{}, []string{"2024-03-16 14:05"}},
		{"下午 in 12h", "2024年3月16日 下午2:05", time.Time{}, []string{"2024-03-16 14:05"}},
		{"晚上", "2024年3月16日晚上9:30", time.Time{}, []string{"2024-03-16 21:30"}},
		{"凌晨 12", "2024年3月16日 凌晨12:10", time.Time{}, []string{"2024-03-16 00:10"}},
		{"中午 1", "2024年3月16日 中午1:10", time.Time{}, []string{"2024-03-16 13:10"}},
		{"no time", "借款日期：2024年3月5日。", time.Time{}, []string{"2024-03-05"}},
		{"spaces", "2024 年 3 月 5 日", time.Time{}, []string{"2024-03-05"}},
		{"full-width", "２０２４年３月５日 ０９：２１", time.Time{}, []string{"2024-03-05 09:21"}},
		{"dashes with seconds", "2024-03-15 09:21:33", time.Time{}, []string{"2024-03-15 09:21"}},
		{"slashes", "2024/3/5", time.Time{}, []string{"2024-03-05"}},
		{"dots", "2024.3.5 18:00", time.Time{}, []string{"2024-03-05 18:00"}},
		{"time on the next line is not joined", "2024年3月5日\n18:00", time.Time{}, []string{"2024-03-05"}},
		{"impossible day", "2024年2月30日", time.Time{}, nil},
		{"impossible time keeps the date", "2024年3月5日 25:99", time.Time{}, []string{"2024-03-05"}},
		{"inside a longer number", "120240315", time.Time{}, nil},
		{"duplicates once", "3月14日\n3月14日", ref, []string{"2024-03-14"}},
		{"no year without ref", "3月14日", time.Time{}, nil},
		{"no year with ref", "3月14日 09:12", ref, []string{"2024-03-14 09:12"}},
		{"no year across new year", "12月30日", jan, []string{"2024-12-30"}},
		{"昨天 with time", "昨天 21:13", ref, []string{"2024-03-18 21:13"}},
		{"今天 with time", "今天07:58", ref, []string{"2024-03-19 07:58"}},
		{"下午 after 昨天", "昨天 下午3:20", ref, []string{"2024-03-18 15:20"}},
		{"前天 alone on a line", "未接来电\n前天\n", ref, []string{"2024-03-17"}},
		{"昨天 with an OCR stray", "上昨天", ref, []string{"2024-03-18"}},
		{"relative without ref", "昨天 21:13", time.Time{}, nil},
		{"今天 in a sentence", "你今天必须还清", ref, nil},
		{"今日 with 点", "今日18点前不处理", ref, nil},
		{"sms1 order", "2024年3月18日 上午08:47\n2024年3月15日 上午09:21", time.Time{}, []string{"2024-03-18 08:47", "2024-03-15 09:21"}},
		{"今日 with a time in a sentence", "请于今日18:00前还款", ref, nil},
		{"昨天 with a time in a call log row", "13300001234   昨天 21:40", ref, []string{"2024-03-18 21:40"}},
		{"wrapped after the month", "本期应还款日为2024-10-2\n0，应还", time.Time{}, []string{"2024-10-20"}},
		{"wrapped slashes", "截至2024/11/0\n4，您的借款", time.Time{}, []string{"2024-11-04"}},
		{"wrapped after 年", "截至2024年11\n月5日 09:12止", time.Time{}, []string{"2024-11-05 09:12"}},
		{"wrapped time", "2024年11月5日 09:1\n2 你好", time.Time{}, []string{"2024-11-05 09:12"}},
		{"a phone after a date is no wrap", "11月5日 09:12\n13312345678", ref, []string{"2023-11-05 09:12"}},
		{"a phone after a full date is no wrap", "还款日2024-10-20\n13312345678", time.Time{}, []string{"2024-10-20"}},
		{"11月5日 before the reference day", "11月5日 19:48", time.Date(2024, 11, 8, 1, 0, 0, 0, time.UTC), []string{"2024-11-05 19:48"}},
		{"11月5日 on new year's morning in Beijing", "11月5日", time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC), []string{"2024-11-05"}},
		{"12月31日 on new year's morning in Beijing", "12月31日", time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC), []string{"2024-12-31"}},
		{"1月2日 seen on 12月31日 is last year's", "1月2日", time.Date(2024, 12, 31, 10, 0, 0, 0, time.UTC), []string{"2024-01-02"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := none.Extract(c.text, c.ref).Dates; !slices.Equal(got, c.want) {
				t.Errorf("%q: dates %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestAmounts(t *testing.T) {
	var none *facts.Rules
	cases := []struct {
		text string
		want []string
	}{
		{"张三欠款8650元已逾期47天", []string{"8650元"}},
		{"应还 ¥8,650.00", []string{"8650元"}},
		{"借了5000 块", []string{"5000元"}},
		{"本金1.5万元", []string{"15000元"}},
		{"罚息8650.50元", []string{"8650.5元"}},
		{"5000元，又是5000元", []string{"5000元"}},
		{"１２００元", []string{"1200元"}},
		{"电话13812345678 逾期47天 2024年", nil},
	}
	for _, c := range cases {
		if got := none.Extract(c.text, time.Time{}).Amounts; !slices.Equal(got, c.want) {
			t.Errorf("%q: amounts %q, want %q", c.text, got, c.want)
		}
	}
}

func TestPlatforms(t *testing.T) {
	rules := &facts.Rules{Platforms: []string{"闪电贷", "有钱花", "闪电花"}}
	cases := []struct {
		name, text string
		want       []string
	}{
		{"signature", "【融易花】最后通知", []string{"融易花"}},
		{"signature with a misread bracket", "[融易花】最后通知", []string{"融易花"}},
		{"known name with spaces", "你在有 钱 花APP借的", []string{"有钱花"}},
		{"known name wrapped", "你在有钱\n花借的", []string{"有钱花"}},
		{"order of appearance", "你在有钱花借的\n【融易花】", []string{"有钱花", "融易花"}},
		{"chat placeholders", "[图片] [语音] 【温馨提示】", nil},
		{"square brackets alone", "[融易花]", nil},
		{"ambiguous misreading kept as read", "【闪电x】", []string{"闪电x"}},
		{"one character added by OCR", "【闪电人贷】最后通知", []string{"闪电贷"}},
		{"one character dropped by OCR", "【有钱】您好", []string{"有钱"}}, // too short to correct
		{"two characters added are another name", "【闪电人人贷】", []string{"闪电人人贷"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rules.Extract(c.text, time.Time{}).Platforms; !slices.Equal(got, c.want) {
				t.Errorf("%q: platforms %q, want %q", c.text, got, c.want)
			}
		})
	}
	one := &facts.Rules{Platforms: []string{"闪电贷"}}
	if got := one.Extract("【内电贷】您好", time.Time{}).Platforms; !slices.Equal(got, []string{"闪电贷"}) {
		t.Errorf("one character misread: %q, want [闪电贷]", got)
	}
	var none *facts.Rules
	if got := none.Extract("【融易花】您好", time.Time{}).Platforms; !slices.Equal(got, []string{"融易花"}) {
		t.Errorf("nil rules: %q, want the signature", got)
	}
}

// TestConductTolerance: the shipped patterns match OCR's usual misreadings.
func TestConductTolerance(t *testing.T) {
	rules := loadRules(t)
	cases := []struct{ text, id string }{
		{"否则将上和催收", "home-visit"},
		{"否则将上由催收", "home-visit"},
		{"明天派人上让", "home-visit"},
		{"明天派人人上方", "home-visit"},
		{"我们会去你家里", "home-visit"},
		{"您的朋友张三在我司借款已这期", "disclose-debt"},
		{"您的朋友张三在我司借款已偿期", "disclose-debt"},
		{"发到你所有亲威朋友群里", "contact-third-parties"},
		{"后果\n自负", "threat"},
		{"最后通和：你的欠款", "threat"},
		{"将发送律师函到你\n户籍摧在地", "threat"},
		{"就打爆你通讯录", "blast-contacts"},
		{"协商个屁", "insult"},
		{"你是他的担保人，必须替他还款", "false-guarantor"},
		{"一天打你几十个电话", "call-flood"},
		{"你已涉嫌诈骗，公安已立案", "fake-legal"},
	}
	for _, c := range cases {
		if ids := conductOf(rules.Extract(c.text, time.Time{})); !slices.Contains(ids, c.id) {
			t.Errorf("%q: conduct %q, want %s", c.text, ids, c.id)
		}
	}
	// Not conduct: a borrower's own words, a message to the debtor, one call.
	quiet := []struct{ text, id string }{
		{"最后通知：你的欠款已移交法务部", "disclose-debt"},
		{"发到你家人群里", "home-visit"},
		{"请不要骚扰我的家人", "contact-third-parties"},
		{"催收电话 广东深圳", "repeated-calls"}, // one flagged call is not repeated calls
		{"今天上午还款", "home-visit"},
	}
	for _, c := range quiet {
		if ids := conductOf(rules.Extract(c.text, time.Time{})); slices.Contains(ids, c.id) {
			t.Errorf("%q: conduct %q should not include %s", c.text, ids, c.id)
		}
	}
}

func TestLoadRulesErrors(t *testing.T) {
	statutes := &fstest.MapFile{Data: []byte(`statutes:
  - id: psl-50
    status: current
  - id: civil-code-1033
    status: current
  - id: psl-2012-42
    status: retired
  - id: criminal-law-293-1
    status: current
`)}
	cases := []struct {
		name, yaml string
		statutes   bool
		want       []string
	}{
		{"bad regexp", `conduct:
  - id: threat
    label: 威胁
    patterns:
      - '后果自负'
      - '(最后通知'
    statutes: [psl-50]
`, false, []string{"evidence.yaml:6:9: bad pattern \"(最后通知\": error parsing regexp: missing closing )"}},
		{"unknown key in a rule", `conduct:
  - id: threat
    lable: 威胁
    patterns: ['后果自负']
    statutes: [psl-50]
`, false, []string{`evidence.yaml:3:5: unknown key "lable" in a conduct rule (hint: did you mean "label"?)`, `evidence.yaml:2:5: conduct rule "threat" has no label`}},
		{"unknown key at the top", `platform:
  - 借呗
`, false, []string{`evidence.yaml:1:1: unknown key "platform" in the file (hint: did you mean "platforms"?)`}},
		{"empty-matching pattern", `conduct:
  - id: x
    label: x
    patterns: ['a*']
    statutes: [psl-50]
`, false, []string{`evidence.yaml:4:16: pattern "a*" matches the empty text`}},
		{"statute ids", `conduct:
  - id: x
    label: x
    patterns: ['后果自负']
    statutes: [psl-50, psl-5O, psl-2012-42, criminal-law-293-1]
`, true, []string{
			`evidence.yaml:5:24: unknown statute id "psl-5O" (hint: did you mean "psl-50"?)`,
			`evidence.yaml:5:32: statute "psl-2012-42" is retired, not current`,
			`evidence.yaml:5:45: statute "criminal-law-293-1" must not be mapped automatically`,
		}},
		{"duplicate id, bad id, no patterns, no statutes", `conduct:
  - id: x
    label: x
    patterns: ['a']
    statutes: [psl-50]
  - id: x
    label: y
    patterns: []
  - id: Bad Id
    label: z
    patterns: ['b']
    statutes: [psl-50]
`, false, []string{
			`evidence.yaml:6:5: duplicate conduct rule id "x"`,
			`evidence.yaml:6:5: conduct rule "x" has no patterns`,
			`evidence.yaml:6:5: conduct rule "x" names no statutes`,
			`evidence.yaml:9:5: conduct rule id "Bad Id" is not valid`,
		}},
		{"platforms", `platforms:
  - 借呗
  - 借 呗
  - 贷
`, false, []string{`evidence.yaml:3:5: platform "借 呗" is listed twice`, `evidence.yaml:4:5: platform name "贷" is too short`}},
		{"YAML syntax", "conduct:\n  - id: x\n    label: x\n    label: y: z\n", false, []string{"evidence.yaml:4: mapping values are not allowed"}},
		{"wrong type", "conduct:\n  - id: x\n    label: x\n    patterns: a\n    statutes: [psl-50]\n", false, []string{"evidence.yaml:4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{"evidence.yaml": {Data: []byte(c.yaml)}}
			if c.statutes {
				fsys["statutes.yaml"] = statutes
			}
			r, err := facts.LoadRules(fsys, "evidence.yaml")
			if err == nil {
				t.Fatalf("no error; rules %+v", r)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := facts.LoadRules(fstest.MapFS{}, "evidence.yaml"); err == nil {
		t.Error("a missing file loads")
	}
	ok := fstest.MapFS{"evidence.yaml": {Data: []byte("platforms: [借呗]\nconduct:\n  - id: x\n    label: 威胁\n    patterns: ['后果自负']\n    statutes: [psl-50]\n    min_count: 2\n")}, "statutes.yaml": statutes}
	r, err := facts.LoadRules(ok, "evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Conduct) != 1 || r.Conduct[0].MinCount != 2 || !slices.Equal(r.Platforms, []string{"借呗"}) {
		t.Errorf("loaded %+v", r)
	}
	if ids := conductOf(r.Extract("后果自负", time.Time{})); len(ids) != 0 {
		t.Errorf("min_count 2 met by one match: %q", ids)
	}
	if ids := conductOf(r.Extract("后果自负。后果自负", time.Time{})); !slices.Equal(ids, []string{"x"}) {
		t.Errorf("min_count 2 not met by two matches: %q", ids)
	}
}

// TestAmountsAsOCRReadsThem: sums wrapped across chat-bubble lines, with
// thousands separators, and OCR's usual misreadings of them.
func TestAmountsAsOCRReadsThem(t *testing.T) {
	var none *facts.Rules
	cases := []struct {
		text string
		want []string
	}{
		{"应还金额3,280.00元，请于今日", []string{"3280元"}},
		{"利息及罚息1,860.50元", []string{"1860.5元"}},
		{"借款本金5,000.00\n元，利息", []string{"5000元"}},
		{"合计3,2\n80.50元已逾期", []string{"3280.5元"}},
		{"合计欠款Y12,500.00，今天", []string{"12500元"}},
		{"还有一笔2.600元也逾期了", []string{"2600元"}},
		{"借了1.500万元", []string{"15000元"}},
		{"11月5日 10:30\n12元", []string{"12元"}},
		{"电话13812345678\n元旦前还清", nil},
		{"YES 100", nil},
		{"AY100", nil},
		{"Y 100", nil},
		{"逾期16\n天", nil},
		{"合计欠款12,500.00，今天能处理吗", []string{"12500元"}},
		{"应还金额：2150.00 请尽快", []string{"2150元"}},
		{"欠款12,500.00元", []string{"12500元"}},
		{"欠款3笔，逾期12天", nil},
		{"还款13812345678", nil},
		{"利息24.00%", nil},
		{"借款2024.11.05", nil},
	}
	for _, c := range cases {
		if got := none.Extract(c.text, time.Time{}).Amounts; !slices.Equal(got, c.want) {
			t.Errorf("%q: amounts %q, want %q", c.text, got, c.want)
		}
	}
}
