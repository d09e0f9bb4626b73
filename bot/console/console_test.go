package console

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/domain"
)

func TestFilePathReadsWhatTerminalsPaste(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	for arg, want := range map[string]string{
		" /tmp/a.png":                   "/tmp/a.png",
		` '/tmp/my shots/截图 1.png'`:     "/tmp/my shots/截图 1.png",
		` "/tmp/my shots/截图 1.png"`:     "/tmp/my shots/截图 1.png",
		` /tmp/my\ shots/截图\ 1.png`:     "/tmp/my shots/截图 1.png",
		" file:///tmp/my%20shots/a.png": "/tmp/my shots/a.png",
		" ~/Pictures/a.png":             filepath.Join(home, "Pictures/a.png"),
		"   ":                           "",
	} {
		if got := filePath(arg); got != want {
			t.Errorf("filePath(%q) = %q, want %q", arg, got, want)
		}
	}
}

func TestFileCommandAnsweredWithoutAnEventWhenNoFile(t *testing.T) {
	dir := t.TempDir()
	shot := filepath.Join(dir, "my shots", "截图 1.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := &Console{Out: &out}
	ev, ok := c.event("/file '" + shot + "'")
	if !ok || ev.Kind != domain.EventAttachment || ev.Attachment.ID != shot || ev.Attachment.Size != 3 || ev.Attachment.Name != "截图 1.png" {
		t.Errorf("a quoted path with spaces: %+v %v", ev.Attachment, ok)
	}
	for line, want := range map[string]string{
		"/file":                       "用法：/file 文件路径",
		"/file " + dir + "/nope.png":  "找不到这个文件",
		"/file " + filepath.Dir(shot): "是一个文件夹",
	} {
		out.Reset()
		if _, ok := c.event(line); ok {
			t.Errorf("%q made an event", line)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%q answered %q, want %q", line, out.String(), want)
		}
	}
	if ev, ok := c.event("/files are here"); !ok || ev.Kind != domain.EventText {
		t.Errorf("text starting with /file… is text: %+v", ev)
	}
}
