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

// testBlobStore checks what every BlobStore must do. open returns an empty
// store for one subtest; tick is longer than the store's clock granularity,
// so things done a tick apart are seen in that order by RemoveIdle.
func testBlobStore(t *testing.T, open func(t *testing.T) evidence.BlobStore, tick time.Duration) {
	t.Run("ContentAddressedAndDeduplicated", func(t *testing.T) {
		s := open(t)
		data := []byte("催收短信截图的字节")
		b, err := s.Put(ctx, "u-42", bytes.NewReader(data), 1<<20)
		if err != nil || b.SHA256 != sumHex(data) || b.Size != int64(len(data)) {
			t.Fatalf("put: %+v %v", b, err)
		}
		if again, err := s.Put(ctx, "u-42", bytes.NewReader(data), 1<<20); err != nil || again != b {
			t.Fatalf("second put: %+v %v", again, err)
		}
		if got := readBlob(t, s, "u-42", b.SHA256); !bytes.Equal(got, data) {
			t.Fatal("bytes changed")
		}
		if _, err := s.Open(ctx, "u-43", b.SHA256); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("another person opened the file: %v", err)
		}
		for _, bad := range []string{"../../etc/passwd", "", strings.ToUpper(b.SHA256), b.SHA256[:63], ".last"} {
			if _, err := s.Open(ctx, "u-42", bad); !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("%q was accepted as a hash: %v", bad, err)
			}
		}
		if n, err := s.RemoveUser(ctx, "u-42"); err != nil || n != 1 {
			t.Errorf("the same bytes twice: erased %d files, %v; want 1", n, err)
		}
	})

	t.Run("EmptyAndAtTheLimit", func(t *testing.T) {
		s := open(t)
		for _, data := range [][]byte{{}, bytes.Repeat([]byte{7}, 1024)} {
			b, err := s.Put(ctx, "42", bytes.NewReader(data), 1024)
			if err != nil || b.SHA256 != sumHex(data) || b.Size != int64(len(data)) {
				t.Fatalf("put %d bytes: %+v %v", len(data), b, err)
			}
			if got := readBlob(t, s, "42", b.SHA256); !bytes.Equal(got, data) {
				t.Fatalf("%d bytes came back as %d", len(data), len(got))
			}
		}
	})

	t.Run("NothingHalfWrittenIsKept", func(t *testing.T) {
		s := open(t)
		if _, err := s.Put(ctx, "42", &failingReader{n: 5000}, 1<<20); err == nil {
			t.Fatal("a broken download was kept")
		}
		big := make([]byte, 2048)
		if _, err := s.Put(ctx, "42", bytes.NewReader(big), 1024); !errors.Is(err, evidence.ErrTooLarge) {
			t.Fatalf("over the limit: %v", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		small := make([]byte, 10)
		if _, err := s.Put(cancelled, "42", bytes.NewReader(small), 1024); err == nil {
			t.Fatal("a cancelled write was kept")
		}
		for _, data := range [][]byte{big, small, big[:1024]} {
			if _, err := s.Open(ctx, "42", sumHex(data)); !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("a %d-byte file was kept: %v", len(data), err)
			}
		}
		if n, err := s.RemoveUser(ctx, "42"); err != nil || n != 0 {
			t.Errorf("erased %d files, %v; want none kept", n, err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		s := open(t)
		a := putString(t, s, "42", "a")
		b := putString(t, s, "42", "b")
		if err := s.Remove(ctx, "7", a.SHA256); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("removed another person's file: %v", err)
		}
		if err := s.Remove(ctx, "42", a.SHA256); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, "42", a.SHA256); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("open after remove: %v", err)
		}
		if err := s.Remove(ctx, "42", a.SHA256); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("second remove: %v", err)
		}
		if err := s.Remove(ctx, "42", "../b"); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("remove by path: %v", err)
		}
		if got := readBlob(t, s, "42", b.SHA256); string(got) != "b" {
			t.Errorf("the other file: %q", got)
		}
	})

	t.Run("RemoveUser", func(t *testing.T) {
		s := open(t)
		var mine []evidence.Blob
		for i := range 3 {
			mine = append(mine, putString(t, s, "42", strings.Repeat("x", i+1)))
		}
		keep := putString(t, s, "7", "other person")
		n, err := s.RemoveUser(ctx, "42")
		if err != nil || n != 3 {
			t.Fatalf("erased %d, %v", n, err)
		}
		for _, b := range mine {
			if _, err := s.Open(ctx, "42", b.SHA256); !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("erased file still opens: %v", err)
			}
		}
		if got := readBlob(t, s, "7", keep.SHA256); string(got) != "other person" {
			t.Errorf("another person's file: %q", got)
		}
		if n, err := s.RemoveUser(ctx, "42"); err != nil || n != 0 {
			t.Errorf("second erase removed %d, %v", n, err)
		}
		if n, err := s.RemoveUser(ctx, "never-sent-anything"); err != nil || n != 0 {
			t.Errorf("erasing a stranger removed %d, %v", n, err)
		}
	})

	t.Run("RemoveIdle", func(t *testing.T) {
		s := open(t)
		old := putString(t, s, "old", "a")
		putString(t, s, "old", "a2")
		resent := putString(t, s, "resent", "c")
		time.Sleep(tick)
		cutoff := time.Now()
		time.Sleep(tick)
		fresh := putString(t, s, "new", "b")
		putString(t, s, "resent", "c") // the same bytes again still count as activity
		if n, err := s.RemoveIdle(ctx, cutoff.Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("nobody idle for an hour, yet removed %d, %v", n, err)
		}
		n, err := s.RemoveIdle(ctx, cutoff)
		if err != nil || n != 2 {
			t.Fatalf("removed %d, %v; want the idle person's 2 files", n, err)
		}
		if _, err := s.Open(ctx, "old", old.SHA256); !errors.Is(err, evidence.ErrNotFound) {
			t.Error("idle evidence kept")
		}
		readBlob(t, s, "new", fresh.SHA256)
		readBlob(t, s, "resent", resent.SHA256)
		if n, err := s.RemoveIdle(ctx, cutoff); err != nil || n != 0 {
			t.Errorf("second run removed %d, %v", n, err)
		}
	})
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func putString(t *testing.T, s evidence.BlobStore, user, data string) evidence.Blob {
	t.Helper()
	b, err := s.Put(ctx, user, strings.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readBlob(t *testing.T, s evidence.BlobStore, user, sha string) []byte {
	t.Helper()
	r, err := s.Open(ctx, user, sha)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
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

func TestBlobStoreDir(t *testing.T) {
	testBlobStore(t, func(t *testing.T) evidence.BlobStore {
		d, _ := newDir(t)
		return d
	}, 20*time.Millisecond)
}

// userKey is the folder a person's files go in, derived here independently
// so a change to the derivation (which would orphan kept files) fails a test.
func userKey(user string) string {
	h := sha256.Sum256([]byte("anning-evidence-user:" + user))
	return hex.EncodeToString(h[:16])
}

// On disk: one file per distinct content, named by its hash, in a folder
// named by the hash of the person, nothing left in tmp/.
func TestDirLayout(t *testing.T) {
	d, root := newDir(t)
	b := putString(t, d, "u-42", "催收短信截图")
	putString(t, d, "u-42", "催收短信截图")
	d.Put(ctx, "u-42", bytes.NewReader(make([]byte, 2048)), 1024)
	d.Put(ctx, "u-42", &failingReader{n: 5000}, 1<<20)
	want := filepath.Join("users", userKey("u-42"), b.SHA256)
	if got := files(t, root); len(got) != 1 || got[0] != want {
		t.Fatalf("files %v, want only %s", got, want)
	}
	if _, err := d.RemoveUser(ctx, "u-42"); err != nil {
		t.Fatal(err)
	}
	if entries := mustReadDir(t, filepath.Join(root, "users")); len(entries) != 0 {
		t.Errorf("the erased person's folder is still there: %d folders", len(entries))
	}
}

// A folder untouched for 200 days is idle; Dir reads activity from the
// folder's time.
func TestDirRemoveIdleByFolderTime(t *testing.T) {
	d, root := newDir(t)
	old := putString(t, d, "old", "a")
	putString(t, d, "new", "b")
	long := time.Now().Add(-200 * 24 * time.Hour)
	if err := os.Chtimes(filepath.Join(root, "users", userKey("old")), long, long); err != nil {
		t.Fatal(err)
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
		{[]byte("ID3\x04\x00\x00\x00\x00\x00"), "mp3"},
		{[]byte{0xFF, 0xFB, 0x90, 0x64}, "mp3"},
		{[]byte{0xFF, 0xF1, 0x50, 0x80}, "aac"},
		{[]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), "m4a"},
		{[]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "mp4"},
		{[]byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"), "mov"},
		{[]byte("\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00"), "3gp"},
		{[]byte("#!AMR\n"), "amr"},
		{[]byte("#!AMR-WB\n"), "amr"},
		{[]byte("\x02#!SILK_V3"), "silk"},
		{[]byte("RIFF\x24\x08\x00\x00WAVEfmt "), "wav"},
		{[]byte("OggS\x00\x02\x00\x00"), "ogg"},
		{[]byte("fLaC\x00\x00\x00\x22"), "flac"},
		{[]byte("\x1A\x45\xDF\xA3\x9F\x42\x86\x81"), "webm"},
		{[]byte("\x00\x00\x00\x18ftypavif"), "avif"},
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
