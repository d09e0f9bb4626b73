package evidence_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/evidence"
)

// requireOCR returns a working OCR or, outside CI, skips. CI installs
// tesseract-ocr and tesseract-ocr-chi-sim: there a missing tesseract fails.
func requireOCR(t testing.TB) *evidence.OCR {
	t.Helper()
	o := evidence.NewOCR(2, 30*time.Second)
	if !o.Available() {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract is not installed: CI must run the OCR tests (.ci/run installs it)")
		}
		t.Skip("tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
	}
	return o
}

// The fixture screenshots, original and Telegram-recompressed: OCR must keep
// every phone number of the ground truth, digit for digit.
func TestOCRReadsTheFixtures(t *testing.T) {
	o := requireOCR(t)
	want := map[string][]string{
		"sms1":     {"10690571234567", "13812345678", "17701234567"},
		"wechat2":  {"15900001111"},
		"calllog3": {"17712345678", "13598765432", "18612349876", "95188", "16533338888", "19912345678", "4008123123"},
	}
	for name, fragments := range want {
		for _, file := range []string{name + ".png", name + "_tg.jpg"} {
			img, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			text, err := o.Read(ctx, img)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			flat := strings.Join(strings.Fields(text), "")
			for _, f := range fragments {
				if !strings.Contains(flat, f) {
					t.Errorf("%s: OCR text lacks %q:\n%s", file, f, text)
				}
			}
		}
	}
}

func TestOCRBadInputIsAnErrorNotACrash(t *testing.T) {
	o := requireOCR(t)
	if _, err := o.Read(ctx, []byte("this is not an image")); err == nil {
		t.Error("garbage read as an image")
	}
	img, _ := os.ReadFile("testdata/sms1.png")
	short := evidence.NewOCR(1, time.Millisecond)
	if _, err := short.Read(ctx, img); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("timeout: %v", err)
	}
}

// BenchmarkOCR is seconds per fixture screenshot (target: under 1 s).
func BenchmarkOCR(b *testing.B) {
	o := requireOCR(b)
	for _, file := range []string{"sms1.png", "wechat2.png", "calllog3.png", "sms1_tg.jpg"} {
		img, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(file, func(b *testing.B) {
			for b.Loop() {
				if _, err := o.Read(ctx, img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
