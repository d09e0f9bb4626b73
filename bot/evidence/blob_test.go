package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/evidence"
)

var ctx = context.Background()

func newDir(t *testing.T) (*evidence.Dir, string) {
	root := t.TempDir()
	d, err := evidence.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

// files lists every regular file under root, relative to it.
func files(t *testing.T, root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestPutIsContentAddressedAndDeduplicated(t *testing.T) {
	d, root := newDir(t)
	data := []byte("催收短信截图的字节")
	sum := sha256.Sum256(data)
	b, err := d.Put(ctx, "u-42", bytes.NewReader(data), 1<<20)
	if err != nil || b.SHA256 != hex.EncodeToString(sum[:]) || b.Size != int64(len(data)) {
		t.Fatalf("put: %+v %v", b, err)
	}
	if _, err := d.Put(ctx, "u-42", bytes.NewReader(data), 1<<20); err != nil {
		t.Fatal(err)
	}
	got := files(t, root)
	if len(got) != 1 || !strings.HasSuffix(got[0], b.SHA256) || strings.Contains(got[0], "u-42") {
		t.Fatalf("files %v: want one, named by hash, in a folder not named after the user", got)
	}
	r, err := d.Open(ctx, "u-42", b.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(back, data) {
		t.Fatal("bytes changed")
	}
	if _, err := d.Open(ctx, "u-43", b.SHA256); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("another person opened the file: %v", err)
	}
	if _, err := d.Open(ctx, "u-42", "../../etc/passwd"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("a path was accepted as a hash: %v", err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// Nothing half-written is ever kept: a failed download or a file over the
// limit leaves no file behind, not even in tmp/.
func TestNothingHalfWrittenIsKept(t *testing.T) {
	d, root := newDir(t)
	if _, err := d.Put(ctx, "42", &failingReader{n: 5000}, 1<<20); err == nil {
		t.Fatal("a broken download was kept")
	}
	if _, err := d.Put(ctx, "42", bytes.NewReader(make([]byte, 2048)), 1024); !errors.Is(err, evidence.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(cancelled, "42", bytes.NewReader(make([]byte, 10)), 1024); err == nil {
		t.Fatal("a cancelled write was kept")
	}
	if got := files(t, root); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}

func TestEraseLeavesNothing(t *testing.T) {
	d, root := newDir(t)
	for i := range 3 {
		if _, err := d.Put(ctx, "42", strings.NewReader(strings.Repeat("x", i+1)), 100); err != nil {
			t.Fatal(err)
		}
	}
	keep, _ := d.Put(ctx, "7", strings.NewReader("other person"), 100)
	n, err := d.RemoveUser(ctx, "42")
	if err != nil || n != 3 {
		t.Fatalf("erased %d, %v", n, err)
	}
	got := files(t, root)
	if len(got) != 1 || !strings.HasSuffix(got[0], keep.SHA256) {
		t.Fatalf("after erasing one person: %v", got)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "users"))
	if len(entries) != 1 {
		t.Errorf("the erased person's folder is still there: %d folders", len(entries))
	}
	if n, _ := d.RemoveUser(ctx, "42"); n != 0 {
		t.Errorf("second erase removed %d", n)
	}
}

func TestRemoveIdle(t *testing.T) {
	d, root := newDir(t)
	old, _ := d.Put(ctx, "old", strings.NewReader("a"), 100)
	d.Put(ctx, "new", strings.NewReader("b"), 100)
	long := time.Now().Add(-200 * 24 * time.Hour)
	for _, e := range mustReadDir(t, filepath.Join(root, "users")) {
		if _, err := os.Stat(filepath.Join(root, "users", e.Name(), old.SHA256)); err == nil {
			os.Chtimes(filepath.Join(root, "users", e.Name()), long, long)
		}
	}
	n, err := d.RemoveIdle(ctx, time.Now().Add(-180*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if _, err := d.Open(ctx, "old", old.SHA256); !errors.Is(err, evidence.ErrNotFound) {
		t.Error("idle evidence kept")
	}
	if len(files(t, root)) != 1 {
		t.Error("recent evidence removed")
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	e, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSniff(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		head []byte
		want string
	}{
		{read("sms1.png"), "png"},
		{read("sms1_tg.jpg"), "jpeg"},
		{[]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), "webp"},
		{[]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "heic"},
		{[]byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00"), "heic"},
		{[]byte("%PDF-1.7\n"), "pdf"},
		{[]byte("\x00\x00\x00\x18ftypavif"), ""},
		{[]byte("GIF89a"), ""},
		{[]byte("PK\x03\x04"), ""},
		{[]byte("<html>"), ""},
		{nil, ""},
	}
	for i, tc := range cases {
		got, ok := evidence.Sniff(tc.head[:min(len(tc.head), evidence.SniffLen)])
		if got.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("case %d: %q %v, want %q", i, got.Name, ok, tc.want)
		}
	}
}
