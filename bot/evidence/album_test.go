package evidence_test

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/flow"
)

func needTesseract(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract missing: CI must run the OCR tests")
		}
		t.Skip("tesseract not installed")
	}
}

// An album of screenshots (one media_group_id) brings one acknowledgement
// and one summary of what was read, not one of each per screenshot.
func TestAlbumIsAcknowledgedAndSummarisedOnce(t *testing.T) {
	needTesseract(t)
	// AlbumWait stays at its default (1.5 s): the four Adds run beside
	// tesseract on two cores, and a gap longer than it would split the album.
	s, in, _ := newService(t, evidence.NewOCR(1, time.Minute))
	for _, name := range []string{"sms1_tg.jpg", "wechat2_tg.jpg", "calllog3_tg.jpg", "sms1_tg.jpg"} {
		r, err := s.Add(ctx, "42", domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{ID: name, Group: "album-1"}}, flow.State{})
		if err != nil || len(r) != 0 {
			t.Fatalf("%s: an album item was answered on its own: %v %+v", name, err, r)
		}
	}
	s.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(in.text(), "这组证据") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := in.text()
	if n := len(in.replies); n != 2 {
		t.Errorf("%d messages for one album, want an acknowledgement and a summary:\n%s", n, got)
	}
	for _, want := range []string{"已收到这组 4 个文件，保存为第 1–3 份证据（图片 3 张）", "之前已经保存过", "这组证据（第 1–3 份）里找到的信息", "13812345678", "闪电贷", "识别结果可能有误"} {
		if !strings.Contains(got, want) {
			t.Errorf("album messages lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "第 1 份证据里找到的信息") {
		t.Errorf("an album item was summarised on its own:\n%s", got)
	}
}

// Call recordings and videos are evidence like screenshots: sniffed by
// their bytes, hashed, listed with their duration, exported and erased;
// they are not read with OCR.
func TestRecordingsAreKept(t *testing.T) {
	s, _, root := newService(t, nil)
	f := s.Fetch.(testdataFetcher)
	f.extra["call.m4a"] = append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), bytes.Repeat([]byte{1}, 4096)...)
	f.extra["voice.ogg"] = append([]byte("OggS\x00\x02\x00\x00"), bytes.Repeat([]byte{2}, 2048)...)
	f.extra["clip.mp4"] = append([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), bytes.Repeat([]byte{3}, 8192)...)
	f.extra["wechat.amr"] = append([]byte("#!AMR\n"), bytes.Repeat([]byte{4}, 1024)...)
	for name, want := range map[string]string{"call.m4a": "录音", "voice.ogg": "录音，时长 1分05秒", "clip.mp4": "视频", "wechat.amr": "录音"} {
		a := &domain.Attachment{ID: name, Name: "x.dat"}
		if name == "voice.ogg" {
			a.Duration = 65
		}
		r, err := s.Add(ctx, "42", domain.Action{Kind: domain.DoEvidenceAdd, Attachment: a}, flow.State{})
		if err != nil || len(r) != 1 || !strings.Contains(r[0].Text, "保存为第") || !strings.Contains(r[0].Text, want) || !strings.Contains(r[0].Text, "原样保存") {
			t.Errorf("%s: %v %+v", name, err, r)
		}
	}
	list := command(t, s, "")[0].Text
	for _, want := range []string{"共 4 份", "录音", "视频"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	exp := command(t, s, "导出")
	var names []string
	for _, r := range exp {
		if r.File == nil {
			continue
		}
		zr, err := zip.NewReader(bytes.NewReader(fileBytes(t, r.File)), int64(len(fileBytes(t, r.File))))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
	}
	joined := strings.Join(names, " ")
	for _, ext := range []string{".m4a", ".ogg", ".mp4", ".amr"} {
		if !strings.Contains(joined, ext) {
			t.Errorf("export lacks a %s file: %v", ext, names)
		}
	}
	if n, err := s.Erase(ctx, "42"); err != nil || n != 5 {
		t.Errorf("erase: %d %v", n, err)
	}
	if left := files(t, root); len(left) != 0 {
		t.Errorf("erase left %v", left)
	}
}
