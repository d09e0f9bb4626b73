package facts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/anning-bot/anning/bot/evidence/facts"
)

var updateOCR = flag.Bool("update-ocr", false, "rewrite testdata/ocr/*.txt with the output of the tesseract on PATH")

// contentDir is the project's content folder, with evidence.yaml and
// statutes.yaml.
const contentDir = "../../../content"

type truthEntry struct {
	Phones    []string `json:"phones"`
	Platforms []string `json:"platforms"`
	Amounts   []string `json:"amounts"`
	Dates     []string `json:"dates"`
	Conduct   []string `json:"conduct"`
}

func loadTruth(t testing.TB) map[string]truthEntry {
	t.Helper()
	data, err := os.ReadFile("testdata/fixtures/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]truthEntry{}
	for name, msg := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var e truthEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatalf("truth.json %s: %v", name, err)
		}
		out[name] = e
	}
	if len(out) != 3 {
		t.Fatalf("truth.json has %d fixtures, want sms1, wechat2, calllog3", len(out))
	}
	return out
}

func loadRules(t testing.TB) *facts.Rules {
	t.Helper()
	r, err := facts.LoadRules(os.DirFS(contentDir), facts.RulesFile)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// conductIDs maps truth.json's descriptions of conduct to the rule ids that
// must all be found for it.
var conductIDs = map[string][]string{
	"contacting third parties":                               {"contact-third-parties"},
	"threat of home visit":                                   {"home-visit"},
	"threat to contact employer and all contacts":            {"contact-employer", "blast-contacts"},
	"intimidation":                                           {"threat"},
	"threat to publish photos to relatives (shaming poster)": {"shaming"},
	"insult": {"insult"},
	"threat of home visit with disclosed address": {"home-visit"},
	"threat to blast the contact list":            {"blast-contacts"},
	"disclosure of a relative's number":           {"relatives-info"},
	"repeated collection calls":                   {"repeated-calls"},
}

func numbers(ps []facts.Phone) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Number
	}
	return out
}

func conductOf(f facts.Facts) []string {
	var out []string
	for _, c := range f.Conduct {
		out = append(out, c.ID)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkPhones: the phones are exactly want, each once, with a valid kind.
func checkPhones(t *testing.T, got []facts.Phone, want []string) {
	t.Helper()
	nums := numbers(got)
	if !sameSet(nums, want) || len(slices.Compact(slices.Sorted(slices.Values(nums)))) != len(nums) {
		t.Errorf("phones %q, want exactly %q", nums, want)
	}
	for _, p := range got {
		if !kindPattern[p.Kind].MatchString(p.Number) {
			t.Errorf("phone %+v does not match its kind", p)
		}
	}
}

func checkContains(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s %q lack %q", what, got, w)
		}
	}
}

// TestFixturesGroundTruth: on the exact text drawn on each screenshot, the
// extractor finds what truth.json says a good extractor must find.
func TestFixturesGroundTruth(t *testing.T) {
	rules := loadRules(t)
	for name, want := range loadTruth(t) {
		t.Run(name, func(t *testing.T) {
			text := readFile(t, "testdata/fixtures/"+name+".gt.txt")
			f := rules.Extract(text, time.Time{})
			checkPhones(t, f.Phones, want.Phones)
			if len(want.Phones) > 0 && !slices.Equal(numbers(f.Phones), want.Phones) {
				t.Errorf("phones in order %q, want the order of appearance %q", numbers(f.Phones), want.Phones)
			}
			if !sameSet(f.Platforms, want.Platforms) {
				t.Errorf("platforms %q, want %q", f.Platforms, want.Platforms)
			}
			if !sameSet(f.Amounts, want.Amounts) {
				t.Errorf("amounts %q, want %q", f.Amounts, want.Amounts)
			}
			if want.Dates != nil && !slices.Equal(f.Dates, want.Dates) {
				t.Errorf("dates %q, want %q", f.Dates, want.Dates)
			}
			ids := conductOf(f)
			for _, desc := range want.Conduct {
				need, ok := conductIDs[desc]
				if !ok {
					t.Fatalf("truth.json conduct %q has no mapping to rule ids in this test", desc)
				}
				checkContains(t, "conduct for "+desc+":", ids, need)
			}
			for _, c := range f.Conduct {
				if c.Label == "" || len(c.Statutes) == 0 || c.Evidence == "" {
					t.Errorf("conduct %+v lacks label, statutes or evidence", c)
				}
				if n := len([]rune(c.Evidence)); n > 80 {
					t.Errorf("evidence of %s is %d characters: %q", c.ID, n, c.Evidence)
				}
			}
		})
	}
}

// TestNoPhoneFromBankCard: the repayment card number of wechat2 wraps across
// two lines ("6222 0210 0112 3456 7" / "89"); no part of it is a phone.
func TestNoPhoneFromBankCard(t *testing.T) {
	rules := loadRules(t)
	const card = "6222021001123456789"
	for _, file := range []string{"fixtures/wechat2.gt.txt", "ocr/wechat2.txt", "ocr/wechat2_tg.txt"} {
		text := readFile(t, "testdata/"+file)
		if !strings.Contains(text, "6222 0210 0112 3456") {
			t.Fatalf("%s no longer holds the card number", file)
		}
		for _, p := range rules.Extract(text, time.Time{}).Phones {
			digits := strings.ReplaceAll(p.Number, "-", "")
			if strings.Contains(card, digits) || strings.HasPrefix(digits, "6222") {
				t.Errorf("%s: phone %s taken from the bank card", file, p.Number)
			}
		}
	}
}

// TestFixtureEvidenceSnippets: the evidence of a conduct shows the words that
// matched, so the person can check them.
func TestFixtureEvidenceSnippets(t *testing.T) {
	rules := loadRules(t)
	want := map[string]map[string]string{
		"sms1":    {"home-visit": "上门催收", "threat": "最后通知", "contact-third-parties": "转告其", "contact-employer": "单位领导"},
		"wechat2": {"shaming": "催收海报", "insult": "个屁", "relatives-info": "你老婆的电话15900001111", "blast-contacts": "所有亲戚朋友"},
	}
	for name, byID := range want {
		f := rules.Extract(readFile(t, "testdata/fixtures/"+name+".gt.txt"), time.Time{})
		for _, c := range f.Conduct {
			if frag, ok := byID[c.ID]; ok && !strings.Contains(c.Evidence, frag) {
				t.Errorf("%s %s: evidence %q lacks %q", name, c.ID, c.Evidence, frag)
			}
		}
	}
}

// TestRelativeDatesOfFixtures: with the day of receipt, the chat's 昨天/今天
// headers and the call log's 昨天 and 3月14日 become dates.
func TestRelativeDatesOfFixtures(t *testing.T) {
	rules := loadRules(t)
	ref := time.Date(2024, 3, 19, 15, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cases := map[string][]string{
		"fixtures/wechat2.gt.txt":  {"2024-03-18 21:13", "2024-03-19 07:58"},
		"fixtures/calllog3.gt.txt": {"2024-03-18", "2024-03-14", "2024-03-13", "2024-03-12"},
		"ocr/calllog3.txt":         {"2024-03-18", "2024-03-14", "2024-03-13", "2024-03-12"}, // 昨天 read as 上昨天
	}
	for file, want := range cases {
		if got := rules.Extract(readFile(t, "testdata/"+file), ref).Dates; !slices.Equal(got, want) {
			t.Errorf("%s: dates %q, want %q", file, got, want)
		}
		if got := rules.Extract(readFile(t, "testdata/"+file), time.Time{}).Dates; len(got) != 0 {
			t.Errorf("%s without a reference day: dates %q, want none", file, got)
		}
	}
}

// ocrConduct are the main kinds of conduct that must survive OCR's
// misreadings (这期/谴期 for 逾期, 上和 for 上门, 派人上让, 亲威 for 亲戚).
// contact-employer is left out: in sms1_tg the OCR splits 单位领导 into
// "及重 / 退订 / 位领导" (lines from two places interleaved), unreadable.
var ocrConduct = map[string][]string{
	"sms1":     {"contact-third-parties", "disclose-debt", "home-visit", "blast-contacts", "threat"},
	"wechat2":  {"shaming", "insult", "home-visit", "blast-contacts", "relatives-info"},
	"calllog3": {"repeated-calls"},
}

// TestOCRText: on tesseract's real output (png and Telegram jpg, made as the
// bot makes it, see testdata/README.md) every phone of truth.json is found,
// the platforms are found, and the main conduct kinds still match.
func TestOCRText(t *testing.T) {
	rules := loadRules(t)
	for name, want := range loadTruth(t) {
		for _, variant := range []string{"", "_tg"} {
			t.Run(name+variant, func(t *testing.T) {
				checkOCR(t, rules, name, readFile(t, "testdata/ocr/"+name+variant+".txt"), want)
			})
		}
	}
}

func checkOCR(t *testing.T, rules *facts.Rules, name, text string, want truthEntry) {
	t.Helper()
	f := rules.Extract(text, time.Time{})
	checkPhones(t, f.Phones, want.Phones)
	checkContains(t, "platforms", f.Platforms, want.Platforms)
	checkContains(t, "amounts", f.Amounts, want.Amounts)
	checkContains(t, "conduct", conductOf(f), ocrConduct[name])
	for _, p := range f.Platforms {
		if !slices.Contains(want.Platforms, p) {
			t.Errorf("platform %q is not in the screenshot", p)
		}
	}
}

// TestOCRSignatureCorrected: in sms1_tg the OCR reads both 【闪电贷】 as
// 【内电贷】; the signature is corrected to the one known name it differs
// from in one character. This documents that the name itself is not read.
func TestOCRSignatureCorrected(t *testing.T) {
	text := readFile(t, "testdata/ocr/sms1_tg.txt")
	if strings.Contains(text, "闪电贷") || !strings.Contains(text, "【内电贷】") {
		t.Fatal("testdata/ocr/sms1_tg.txt changed: this test documents the misreading 闪电贷 -> 内电贷; update it with the new text")
	}
	f := loadRules(t).Extract(text, time.Time{})
	if !slices.Contains(f.Platforms, "闪电贷") || slices.Contains(f.Platforms, "内电贷") {
		t.Errorf("platforms %q, want 闪电贷 corrected from 内电贷", f.Platforms)
	}
}

// TestOCRLive runs tesseract as the bot does on the fixture images and checks
// the extraction on its fresh output; with -update-ocr it rewrites
// testdata/ocr. Skipped without tesseract (and with -short).
func TestOCRLive(t *testing.T) {
	if testing.Short() && !*updateOCR {
		t.Skip("-short")
	}
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		if *updateOCR {
			t.Fatal("-update-ocr needs tesseract on PATH")
		}
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract not installed: CI must run the OCR tests")
		}
		t.Skip("tesseract not installed")
	}
	rules := loadRules(t)
	for name, want := range loadTruth(t) {
		for _, v := range []struct{ suffix, ext string }{{"", ".png"}, {"_tg", ".jpg"}} {
			t.Run(name+v.suffix, func(t *testing.T) {
				img, err := os.ReadFile(filepath.Join("testdata/screenshots", name+v.suffix+v.ext))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, "stdin", "stdout", "-l", "chi_sim", "-c", "thresholding_method=2")
				cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
				cmd.Stdin = bytes.NewReader(img)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					if strings.Contains(stderr.String(), "chi_sim") && os.Getenv("CI") == "" {
						t.Skipf("tesseract has no chi_sim: %s", stderr.String())
					}
					t.Fatalf("tesseract: %v: %s", err, stderr.String())
				}
				if *updateOCR {
					if err := os.WriteFile(filepath.Join("testdata/ocr", name+v.suffix+".txt"), out, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				checkOCR(t, rules, name, string(out), want)
			})
		}
	}
}

// TestRulesFileOfContent: the shipped rules load against the shipped
// statutes, every statute they name is current, none is applied
// automatically that needs facts a screenshot cannot show, and the platform
// list holds the fixtures' names.
func TestRulesFileOfContent(t *testing.T) {
	rules := loadRules(t)
	var doc struct {
		Statutes []struct{ ID, Status string } `yaml:"statutes"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, contentDir+"/statutes.yaml")), &doc); err != nil {
		t.Fatal(err)
	}
	current := map[string]bool{}
	for _, s := range doc.Statutes {
		current[s.ID] = s.Status == "current"
	}
	ids := map[string]bool{}
	for _, c := range rules.Conduct {
		ids[c.ID] = true
		for _, s := range c.Statutes {
			if !current[s] {
				t.Errorf("rule %s names %s, not a current statute", c.ID, s)
			}
			if s == "criminal-law-293-1" {
				t.Errorf("rule %s maps to criminal-law-293-1, which needs an illegal debt", c.ID)
			}
		}
	}
	for _, need := range conductIDs {
		for _, id := range need {
			if !ids[id] {
				t.Errorf("no rule %s", id)
			}
		}
	}
	want := map[string][]string{
		"contact-third-parties": {"civil-code-1033", "pipl-10"},
		"disclose-debt":         {"civil-code-1033", "pipl-10"},
		"threat":                {"psl-50"},
		"insult":                {"psl-50"},
	}
	for _, c := range rules.Conduct {
		checkContains(t, "statutes of "+c.ID, c.Statutes, want[c.ID])
	}
	checkContains(t, "platforms", rules.Platforms, []string{"闪电贷", "融易花", "有钱花", "借呗", "微粒贷", "京东金条", "360借条", "分期乐", "安逸花", "招联金融", "美团借钱", "度小满", "拍拍贷", "平安普惠"})
}
