package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/content"
)

// files serves attachments from testdata by name; inline data by ID "data:".
type testdataFetcher struct{ extra map[string][]byte }

func (f testdataFetcher) Fetch(_ context.Context, _ string, a *domain.Attachment) (io.ReadCloser, error) {
	if b, ok := f.extra[a.ID]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return os.Open(filepath.Join("testdata", a.ID))
}

type inbox struct {
	mu      sync.Mutex
	replies []domain.Reply
}

func (i *inbox) Notify(_ context.Context, _ string, r []domain.Reply) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.replies = append(i.replies, r...)
	return nil
}

func (i *inbox) text() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var b strings.Builder
	for _, r := range i.replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

func newService(t *testing.T, ocr *evidence.OCR) (*evidence.Service, *inbox, string) {
	t.Helper()
	root := t.TempDir()
	blobs, err := evidence.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := facts.LoadRules(content.FS, "evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := evidence.NewService(blobs, session.NewMemory(0, nil), ocr, rules)
	in := &inbox{}
	s.Fetch, s.Notify = testdataFetcher{extra: map[string][]byte{}}, in
	s.Now = func() time.Time { return time.Date(2024, 3, 18, 12, 0, 0, 0, time.UTC) }
	return s, in, root
}

func add(t *testing.T, s *evidence.Service, name string, size int64) string {
	t.Helper()
	r, err := s.Add(ctx, "42", domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{ID: name, Size: size}}, flow.State{})
	if err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	return r[0].Text
}

func command(t *testing.T, s *evidence.Service, op string) []domain.Reply {
	t.Helper()
	r, err := s.Command(ctx, "42", domain.Action{Kind: domain.DoEvidence, With: map[string]string{"op": op}}, flow.State{})
	if err != nil {
		t.Fatalf("/evidence %s: %v", op, err)
	}
	return r
}

func sha(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The fixture screenshots become a ledger with correct hashes and, after
// OCR, the phone numbers and platforms of the ground truth.
func TestFixturesBecomeALedger(t *testing.T) {
	s, in, _ := newService(t, requireOCR(t))
	for i, name := range []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3.png"} {
		got := add(t, s, name, 0)
		want := "保存为第 " + string(rune('1'+i)) + " 份证据"
		if !strings.Contains(got, want) || !strings.Contains(got, sha(t, name)[:8]) || !strings.Contains(got, "正在识别") {
			t.Errorf("%s: ack %q", name, got)
		}
	}
	if got := add(t, s, "sms1_tg.jpg", 0); !strings.Contains(got, "之前已经保存过（第 1 份证据）") {
		t.Errorf("duplicate: %q", got)
	}
	s.Wait()
	summaries := in.text()
	for _, want := range []string{"第 1 份证据里找到的信息", "13812345678", "021-61234567", "17701234567", "15900001111", "95188", "0755-26543210", "有钱花", "融易花"} {
		if !strings.Contains(summaries, want) {
			t.Errorf("OCR summaries lack %q:\n%s", want, summaries)
		}
	}
	list := command(t, s, "")[0].Text
	for _, want := range []string{"共 3 份", "1. ", sha(t, "sms1_tg.jpg")[:8], "电话 10690571234567", "/evidence 删除 编号"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}

	// Export: a ZIP with the files, manifest.json and the readable list.
	out := command(t, s, "导出")
	if len(out) != 1 || out[0].File == nil || !strings.HasSuffix(out[0].File.Name, ".zip") {
		t.Fatalf("export: %+v", out)
	}
	zr, err := zip.NewReader(bytes.NewReader(fileBytes(t, out[0].File)), int64(len(fileBytes(t, out[0].File))))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	var m struct {
		Items []struct {
			File   string `json:"file"`
			SHA256 string `json:"sha256"`
			Facts  struct {
				Phones []struct{ Number string } `json:"phones"`
			} `json:"facts"`
		} `json:"items"`
	}
	mf, err := names["manifest.json"].Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(mf).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m.Items) != 3 || names["证据清单.txt"] == nil {
		t.Fatalf("zip entries %v, manifest items %d", keys(names), len(m.Items))
	}
	for i, name := range []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3.png"} {
		it := m.Items[i]
		zf := names[it.File]
		if it.SHA256 != sha(t, name) || zf == nil {
			t.Fatalf("item %d: %+v", i+1, it)
		}
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != it.SHA256 {
			t.Errorf("file %s in the zip differs from its hash", it.File)
		}
	}
	if len(m.Items[0].Facts.Phones) == 0 {
		t.Error("manifest lacks the extracted phones")
	}

	// Remove one; erase all leaves nothing.
	if got := command(t, s, "删除 2")[0].Text; !strings.Contains(got, "已删除第 2 份证据") {
		t.Errorf("remove: %q", got)
	}
	if got := command(t, s, "删除 9")[0].Text; !strings.Contains(got, "没有第 9 份证据") {
		t.Errorf("remove missing: %q", got)
	}
	if list := command(t, s, "")[0].Text; !strings.Contains(list, "共 2 份") || strings.Contains(list, "\n2. ") {
		t.Errorf("after remove:\n%s", list)
	}
}

func keys(m map[string]*zip.File) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBadFilesAreRefusedWithAReason(t *testing.T) {
	s, _, root := newService(t, evidence.NewOCR(1, time.Minute))
	f := s.Fetch.(testdataFetcher)
	f.extra["sticker.gif"] = []byte("GIF89a....")
	f.extra["big.jpg"] = append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 2048)...)
	if got := add(t, s, "huge", 60<<20); !strings.Contains(got, "超过 20 MB") {
		t.Errorf("60 MB: %q", got)
	}
	if got := add(t, s, "sticker.gif", 10); !strings.Contains(got, "类型暂不支持") {
		t.Errorf("gif: %q", got)
	}
	s.Limits.MaxFile = 1024 // the declared size can lie: the bytes are counted
	if got := add(t, s, "big.jpg", 100); !strings.Contains(got, "超过 20 MB") {
		t.Errorf("oversized bytes: %q", got)
	}
	s.Limits = evidence.Limits{MaxFile: 20 << 20, MaxCount: 1, MaxTotal: 1 << 30}
	add(t, s, "calllog3_tg.jpg", 0)
	if got := add(t, s, "sms1_tg.jpg", 0); !strings.Contains(got, "已经到上限") {
		t.Errorf("cap: %q", got)
	}
	if got := command(t, s, "")[0].Text; !strings.Contains(got, "共 1 份") {
		t.Errorf("refused files were listed:\n%s", got)
	}
	s.Wait()
	n, err := s.Erase(ctx, "42")
	if err != nil || n != 2 { // one file and the ledger
		t.Fatalf("erase: %d %v", n, err)
	}
	if left := files(t, root); len(left) != 0 {
		t.Errorf("erase left %v", left)
	}
	if got := command(t, s, "")[0].Text; !strings.Contains(got, "还没有保存证据") {
		t.Errorf("ledger after erase:\n%s", got)
	}
}

// Without tesseract, evidence is still kept and the person is told.
func TestWithoutOCR(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no tesseract on this PATH
	s, _, _ := newService(t, evidence.NewOCR(1, time.Minute))
	if got := add(t, s, "sms1_tg.jpg", 0); !strings.Contains(got, "没有安装文字识别") || !strings.Contains(got, "保存为第 1 份证据") {
		t.Errorf("ack without OCR: %q", got)
	}
}

// BenchmarkIntake is the intake of a 10 MB photo once downloaded: sniff,
// hash, atomic write, ledger update (target: under 100 ms). OCR runs later.
func BenchmarkIntake(b *testing.B) {
	root := b.TempDir()
	blobs, _ := evidence.NewDir(root)
	s := evidence.NewService(blobs, session.NewMemory(0, nil), nil, nil) // no OCR: it runs later, off this path
	photo := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 10<<20)...)
	i := 0
	extra := map[string][]byte{}
	s.Fetch = testdataFetcher{extra: extra}
	s.Notify = &inbox{}
	t0 := evidence.DefaultLimits
	s.Limits = evidence.Limits{MaxFile: t0.MaxFile, MaxCount: 1 << 30, MaxTotal: 1 << 40}
	b.SetBytes(int64(len(photo)))
	for b.Loop() {
		photo[100] = byte(i) // a different photo each time: no de-duplication shortcut
		photo[101] = byte(i >> 8)
		extra["p"] = photo
		if _, err := s.Add(context.Background(), "42", domain.Action{Attachment: &domain.Attachment{ID: "p", Size: int64(len(photo))}}, flow.State{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	s.Wait()
}

// Forwarded or pasted messages are kept as text evidence, with their facts
// read at once and the original date and sender shown.
func TestTextEvidence(t *testing.T) {
	s, _, _ := newService(t, nil)
	msg := "【闪电贷】您好，您的朋友张三在我司借款已逾期，请转告其尽快还款，否则将上门催收。联系电话 13812345678"
	at := &domain.Attachment{Text: msg, ForwardDate: time.Date(2024, 3, 15, 1, 21, 0, 0, time.UTC).Unix(), ForwardFrom: "催收"}
	r, err := s.Add(ctx, "42", domain.Action{Kind: domain.DoEvidenceAdd, Attachment: at}, flow.State{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"保存为第 1 份证据（文字消息", "原消息时间：2024-03-15 09:21，来自：催收", "13812345678", "闪电贷"} {
		if !strings.Contains(r[0].Text, want) {
			t.Errorf("ack lacks %q:\n%s", want, r[0].Text)
		}
	}
	if got := command(t, s, "")[0].Text; !strings.Contains(got, "文字消息") {
		t.Errorf("list:\n%s", got)
	}
}

func TestFactsToConfirm(t *testing.T) {
	s, _, _ := newService(t, nil)
	if got := command(t, s, "核对")[0].Text; !strings.Contains(got, "还没有收到证据") {
		t.Errorf("empty: %q", got)
	}
	s.Add(ctx, "42", domain.Action{Attachment: &domain.Attachment{Text: "【闪电贷】请转告张三尽快还款，否则将上门催收。联系电话 13812345678"}}, flow.State{})
	s.Add(ctx, "42", domain.Action{Attachment: &domain.Attachment{Text: "你在有钱花APP借的钱不还就上门，电话 13812345678 和 15900001111，客服 95188、4008123123"}}, flow.State{})
	got := command(t, s, "核对")[0].Text
	for _, want := range []string{"从 2 份证据里读出", "号码：13812345678、15900001111\n", "闪电贷", "有钱花", "客服热线：95188、4008123123（一般是平台客服，不算作催收号码"} {
		if !strings.Contains(got, want) {
			t.Errorf("facts lack %q:\n%s", want, got)
		}
	}
	// A draft takes the numbers from Summary: the hotlines are not among them.
	sum, err := s.Summary(ctx, "42")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sum.Phones, "、") != "13812345678、15900001111" {
		t.Errorf("collector numbers for a draft: %v", sum.Phones)
	}
}

// fileBytes reads a document the way a transport sends it.
func fileBytes(t *testing.T, f *domain.File) []byte {
	t.Helper()
	r, err := f.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
