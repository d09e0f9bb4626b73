package evidence_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/session"
)

// pngBomb is a valid grayscale PNG of w x h white pixels: under 1 MB for
// 30000 x 30000, and 900 MB once decoded.
func pngBomb(t testing.TB, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := bytes.Repeat([]byte{0xff}, w+1)
	row[0] = 0 // filter: none
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

func vmHWM(t testing.TB) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// A 30000x30000 PNG under 1 MB is refused from its header: tesseract never
// sees it (it took 3.4 GB and held the only OCR slot for about a minute),
// and the person is told why its text is not read; the file is kept.
func TestPNGBombRefusedFromItsHeader(t *testing.T) {
	o := requireOCR(t)
	bomb := pngBomb(t, 30000, 30000)
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	hwm := vmHWM(t)
	start := time.Now()
	_, err := o.Read(ctx, bomb)
	took := time.Since(start)
	var big *evidence.ErrImageTooLarge
	if !errors.As(err, &big) || big.Width != 30000 {
		t.Fatalf("the PNG bomb: %v", err)
	}

	s, in, _ := newService(t, o)
	s.Fetch.(testdataFetcher).extra["bomb.png"] = bomb
	got := add(t, s, "bomb.png", int64(len(bomb)))
	s.Wait()
	t.Logf("PNG bomb (%d KB, 30000x30000): refused in %v; test process peak RSS %d MB -> %d MB",
		len(bomb)>>10, took, hwm>>20, vmHWM(t)>>20)
	if !strings.Contains(got, "保存为第 1 份证据") || !strings.Contains(got, "30000×30000") || strings.Contains(got, "正在识别") {
		t.Errorf("the bomb's acknowledgement: %q", got)
	}
	if in.text() != "" {
		t.Errorf("an OCR result came for an image never read: %q", in.text())
	}
	list := command(t, s, "")[0].Text
	if strings.Contains(list, "识别中") {
		t.Errorf("the bomb is listed as being read:\n%s", list)
	}
}

// An image whose OCR ran out of its budget is marked failed in the ledger
// (the write has its own deadline), never left "pending" forever.
func TestLedgerUpdatedWhenOCRTimesOut(t *testing.T) {
	o := requireOCR(t)
	old := evidence.OCRBudget
	evidence.OCRBudget = time.Nanosecond
	defer func() { evidence.OCRBudget = old }()
	s, in, _ := newService(t, o)
	add(t, s, "sms1_tg.jpg", 0)
	s.Wait()
	list := command(t, s, "")[0].Text
	if strings.Contains(list, "识别中") {
		t.Errorf("an image over its OCR budget is still pending:\n%s", list)
	}
	if !strings.Contains(in.text(), "没有识别出来") {
		t.Errorf("the person was not told: %q", in.text())
	}
}

// Images left waiting for OCR when the bot stopped are read after it
// starts again (Resume), and the person gets the result.
func TestPendingOCRResumedAfterRestart(t *testing.T) {
	o := requireOCR(t)
	store := session.NewMemory(0, nil)
	root := t.TempDir()
	blobs, err := evidence.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	// The first run keeps the image but stops before reading it: its only
	// OCR slot is taken and the budget runs out only after the "crash".
	first := evidence.NewService(blobs, store, evidence.NewOCR(1, time.Minute), nil)
	first.Fetch = testdataFetcher{}
	release := first.OCR.TakeSlot()
	r, err := first.Add(ctx, "42", domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{ID: "sms1_tg.jpg"}}, flow.State{})
	if err != nil || !strings.Contains(r[0].Text, "正在识别") {
		t.Fatalf("add: %v %+v", err, r)
	}
	// The restart: a new service over the same ledger and files.
	second, in, _ := newService(t, o)
	second.Blobs = blobs
	second.UseLedger(store)
	n, err := second.Resume(ctx)
	if err != nil || n != 1 {
		t.Fatalf("resume: %d, %v", n, err)
	}
	second.Wait()
	release()
	defer first.Wait()
	if !strings.Contains(in.text(), "13812345678") {
		t.Errorf("the resumed OCR told %q", in.text())
	}
	if list := command(t, second, "")[0].Text; strings.Contains(list, "识别中") {
		t.Errorf("still pending after the restart:\n%s", list)
	}
	if n, err := second.Resume(ctx); err != nil || n != 0 {
		t.Errorf("a second resume queued %d (%v); nothing is pending", n, err)
	}
}
