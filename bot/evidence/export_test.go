package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/memtest"
	"github.com/anning-bot/anning/content"
)

// pdfFetcher makes up PDFs of a given size from a seed, as they are read:
// nothing of them is held in memory.
type pdfFetcher struct{ size int64 }

func (f pdfFetcher) Fetch(_ context.Context, _ string, a *domain.Attachment) (io.ReadCloser, error) {
	var seed uint64
	fmt.Sscan(a.ID, &seed)
	body := io.LimitReader(&prng{rand.NewPCG(seed, 1)}, f.size-9)
	return io.NopCloser(io.MultiReader(strings.NewReader("%PDF-1.7\n"), body)), nil
}

type prng struct{ src *rand.PCG }

func (p *prng) Read(b []byte) (int, error) {
	for i := 0; i < len(b); i += 8 {
		v := p.src.Uint64()
		for k := 0; k < 8 && i+k < len(b); k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return len(b), nil
}

func addPDFs(t *testing.T, s *evidence.Service, user string, n int, size int64) {
	t.Helper()
	s.Fetch = pdfFetcher{size: size}
	for i := range n {
		r, err := s.Add(ctx, user, domain.Action{Kind: domain.DoEvidenceAdd, Attachment: &domain.Attachment{ID: fmt.Sprint(i + 1), Size: size}}, flow.State{})
		if err != nil || !strings.Contains(r[0].Text, "保存为第") {
			t.Fatalf("add %d: %v %+v", i, err, r)
		}
	}
}

func exportAs(t *testing.T, s *evidence.Service, user string, seq int64) []domain.Reply {
	t.Helper()
	r, err := s.Command(ctx, user, domain.Action{Kind: domain.DoEvidence, With: map[string]string{"op": "导出"}}, flow.State{LastSeq: seq})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return r
}

// Exporting 150 MB of evidence costs a few MB of memory, not the archive's
// size: each ZIP part is written as the transport reads it (here, hashed
// away as an upload would send it). The in-memory version allocated more
// than the whole archive (every file read whole, every part built in a
// buffer) and peaked at one part (45 MB) plus a file above baseline.
func TestExportMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 150 MB")
	}
	s, _, _ := newService(t, nil)
	s.Limits.MaxFile = 20 << 20
	const files, size = 8, 150 << 20 / 8
	addPDFs(t, s, "42", files, size)

	var total int64
	parts := 0
	grew, allocated := memtest.HeapGrowth(func() {
		out := exportAs(t, s, "42", 0)
		for _, r := range out {
			if r.File == nil {
				continue
			}
			parts++
			rc, err := r.File.Reader()
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
	})
	t.Logf("export of %d MB in %d parts (%d MB sent): heap in use peaked %+.1f MB above baseline, %.1f MB allocated in all",
		files*size>>20, parts, total>>20, float64(grew)/(1<<20), float64(allocated)/(1<<20))
	if total < files*size || parts < 4 {
		t.Fatalf("exported %d bytes in %d parts, want all %d bytes in at least 4", total, parts, files*size)
	}
	const bound = 24 << 20
	if grew > bound || allocated > bound {
		t.Errorf("export held %.1f MB above baseline and allocated %.1f MB; want both under %d MB (streamed)",
			float64(grew)/(1<<20), float64(allocated)/(1<<20), bound>>20)
	}
}

// A file that is no longer kept (erased meanwhile, lost by the storage) is
// left out of the archive and marked in its index, never an export error.
func TestExportSkipsMissingFiles(t *testing.T) {
	s, _, root := newService(t, nil)
	addPDFs(t, s, "42", 2, 4096)
	var gone []string
	filepath.WalkDir(filepath.Join(root, "users"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(gone) == 0 {
			gone = append(gone, filepath.Base(path))
			return os.Remove(path)
		}
		return nil
	})
	if len(gone) != 1 {
		t.Fatal("no file to remove")
	}
	out := exportAs(t, s, "42", 0)
	if len(out) != 1 || out[0].File == nil {
		t.Fatalf("export: %+v", out)
	}
	if !strings.Contains(out[0].Text, "有 1 份证据的文件已经不在了") {
		t.Errorf("export text does not say a file is missing: %q", out[0].Text)
	}
	data := fileBytes(t, out[0].File)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Items []struct {
			File    string `json:"file"`
			Missing bool   `json:"missing"`
			SHA256  string `json:"sha256"`
		} `json:"items"`
	}
	entries := map[string]bool{}
	var list string
	for _, f := range zr.File {
		entries[f.Name] = true
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch f.Name {
		case "manifest.json":
			json.Unmarshal(b, &m)
		case "证据清单.txt":
			list = string(b)
		}
	}
	if len(m.Items) != 2 {
		t.Fatalf("manifest: %+v", m.Items)
	}
	for _, it := range m.Items {
		if it.SHA256 == gone[0] {
			if !it.Missing || it.File != "" {
				t.Errorf("the missing item is not marked so: %+v", it)
			}
		} else if it.Missing || !entries[it.File] {
			t.Errorf("a kept item is not in the archive: %+v (entries %v)", it, entries)
		}
	}
	if !strings.Contains(list, content.DefaultNotices().Get("export_missing_file")) {
		t.Errorf("the list does not mark the missing file:\n%s", list)
	}
}

// At most MaxExports exports are packed at once; the next person is asked
// to come back, and a slot is free again once an export was read.
func TestExportsBounded(t *testing.T) {
	s, _, _ := newService(t, nil)
	for _, u := range []string{"1", "2", "3"} {
		addPDFs(t, s, u, 1, 4096)
	}
	a, b := exportAs(t, s, "1", 0), exportAs(t, s, "2", 0)
	busy := exportAs(t, s, "3", 0)
	if len(busy) != 1 || busy[0].File != nil || busy[0].Text != content.DefaultNotices().Get("export_busy") {
		t.Fatalf("a third export at once: %+v", busy)
	}
	fileBytes(t, a[0].File)
	fileBytes(t, b[0].File)
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := exportAs(t, s, "3", 0)
		if out[0].File != nil {
			if _, err := zip.NewReader(bytes.NewReader(fileBytes(t, out[0].File)), int64(len(fileBytes(t, out[0].File)))); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no export slot free after the others were read")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The same export request delivered again (the bot went down while sending
// it, and Telegram resends the update) is tried twice; the third time the
// person is told, and the request is done with: no crash loop.
func TestRepeatedExportGivesUp(t *testing.T) {
	s, _, _ := newService(t, nil)
	addPDFs(t, s, "42", 1, 4096)
	for try := 1; try <= 2; try++ {
		out := exportAs(t, s, "42", 900)
		if out[0].File == nil {
			t.Fatalf("try %d: %+v", try, out)
		}
		// Never read: the bot "crashed" before sending it. Its slot comes
		// back only after exportHold, so these tries must not need one
		// each; read it to free the slot as a restart would.
		fileBytes(t, out[0].File)
	}
	out := exportAs(t, s, "42", 900)
	if len(out) != 1 || out[0].File != nil || out[0].Text != content.DefaultNotices().Get("export_gave_up") {
		t.Fatalf("third try of the same request: %+v", out)
	}
	// A new request (another update) is tried afresh.
	if out := exportAs(t, s, "42", 901); out[0].File == nil {
		t.Fatalf("a new request after giving up: %+v", out)
	}
}

// brokenRemoval is a file store whose RemoveUser fails.
type brokenRemoval struct{ evidence.BlobStore }

func (brokenRemoval) RemoveUser(context.Context, string) (int, error) {
	return 0, errors.New("storage away")
}

// An erasure whose file step fails has erased the ledger already: nothing
// lists files that may be gone (export never fails with "no such file"),
// and running it again completes it.
func TestEraseLedgerBeforeFiles(t *testing.T) {
	s, _, _ := newService(t, nil)
	addPDFs(t, s, "42", 2, 4096)
	kept := s.Blobs
	s.Blobs = brokenRemoval{kept}
	if _, err := s.Erase(ctx, "42"); err == nil {
		t.Fatal("erasure with a failing file step reported success")
	}
	if out := exportAs(t, s, "42", 0); out[0].File != nil || !strings.Contains(out[0].Text, "还没有保存证据") {
		t.Errorf("after a half-done erasure the ledger still lists the files: %+v", out)
	}
	s.Blobs = kept
	if n, err := s.Erase(ctx, "42"); err != nil || n != 2 {
		t.Errorf("the erasure run again: %d, %v; want the 2 files", n, err)
	}
}
