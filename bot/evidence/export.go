package evidence

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/flow"
)

// maxExportPart keeps each ZIP under Telegram's 50 MB upload limit.
const maxExportPart = 45 << 20

// Exports are streamed: each ZIP part is written as the transport reads it
// (domain.File.Open), from the kept files opened one at a time, so an export
// costs a few buffers of memory whatever its size. Measured in
// TestExportMemoryBounded (150 MB of evidence): see its log line.
const (
	// MaxExports bounds the exports being packed at once (disk and upload
	// bandwidth); more are asked to come back later.
	MaxExports = 2
	// exportHold is how long an export holds its slot at most, when the
	// transport never reads all of its parts (a failed delivery).
	exportHold = 10 * time.Minute
	// exportTries is how often the same export request (one update,
	// delivered again after a crash) is tried before the person is told.
	exportTries = 2
)

// exportTry remembers, in the ledger, which request the last export
// answered and how often it was tried, so a request that takes the bot down
// is not tried forever on each restart.
type exportTry struct {
	Seq   int64 `json:"seq"`
	Tries int   `json:"tries"`
}

// export packs the ledger into ZIPs: the files, manifest.json with all
// metadata and hashes, and a readable list (证据清单.txt). The manifest and
// the list, covering every item, are in the first part. A file no longer
// kept is left out and marked so in both.
func (s *Service) export(ctx context.Context, user string, st flow.State) ([]domain.Reply, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if len(l.Items) == 0 {
		return notice(msgEmpty), nil
	}
	release, ok := s.exportSlot()
	if !ok {
		s.Log.Info("export deferred: others in progress", "user", user)
		return notice(s.Notices.Get("export_busy")), nil
	}
	if st.LastSeq != 0 {
		gaveUp := false
		l, err = s.ledger.update(ctx, user, func(l *Ledger) error {
			if l.Export != nil && l.Export.Seq == st.LastSeq {
				if l.Export.Tries >= exportTries {
					gaveUp = true
					return errGaveUp
				}
				l.Export.Tries++
				return nil
			}
			l.Export = &exportTry{Seq: st.LastSeq, Tries: 1}
			return nil
		})
		if gaveUp {
			release()
			s.Log.Warn("export not tried again: the same request failed before", "user", user, "tries", exportTries)
			return notice(s.Notices.Get("export_gave_up")), nil
		}
		if err != nil {
			release()
			return notice(msgSaveFailed), err
		}
	}
	missing := map[int]bool{}
	for _, it := range l.Items {
		r, err := s.Blobs.Open(ctx, user, it.SHA256)
		if errors.Is(err, ErrNotFound) {
			missing[it.N] = true
			continue
		}
		if err != nil {
			release()
			return notice(msgSaveFailed), fmt.Errorf("evidence: export item %d: %w", it.N, err)
		}
		r.Close()
	}
	now := s.Now()
	parts := splitParts(l, missing)
	e := &exportJob{s: s, user: user, l: l, missing: missing, now: now, parts: parts, release: release}
	timer := time.AfterFunc(exportHold, release)
	e.release = func() { timer.Stop(); release() }
	var replies []domain.Reply
	base := "anning-evidence-" + now.In(beijing).Format("20060102-1504")
	for i := range parts {
		name := base + ".zip"
		text := fmt.Sprintf(msgExported, len(l.Items))
		if len(missing) > 0 {
			text += "\n" + fmt.Sprintf(s.Notices.Get("export_missing_note"), len(missing))
		}
		if len(parts) > 1 {
			name = base + fmt.Sprintf("-part%d.zip", i+1)
			first := text
			text = fmt.Sprintf("证据压缩包 第 %d/%d 部分。", i+1, len(parts))
			if i == 0 {
				text += "\n" + first
			}
		}
		replies = append(replies, domain.Reply{Kind: domain.ReplyNotice, Text: text, File: &domain.File{Name: name, Open: e.opener(i)}})
	}
	s.Log.Info("evidence exported", "user", user, "items", len(l.Items), "parts", len(parts), "missing", len(missing))
	return replies, nil
}

var errGaveUp = errors.New("evidence: export given up")

// exportSlot takes one of the MaxExports slots, if one is free; release
// may be called more than once.
func (s *Service) exportSlot() (release func(), ok bool) {
	if s.exports == nil {
		return func() {}, true
	}
	select {
	case s.exports <- struct{}{}:
		return sync.OnceFunc(func() { <-s.exports }), true
	default:
		return nil, false
	}
}

// splitParts groups the kept items into parts under maxExportPart; the
// first part also carries the manifest and the list.
func splitParts(l Ledger, missing map[int]bool) [][]Item {
	parts := [][]Item{nil}
	size := int64(0)
	for _, it := range l.Items {
		if missing[it.N] {
			continue
		}
		if size > 0 && size+it.Size > maxExportPart {
			parts = append(parts, nil)
			size = 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], it)
		size += it.Size
	}
	return parts
}

// exportJob writes the parts of one export as they are read.
type exportJob struct {
	s       *Service
	user    string
	l       Ledger
	missing map[int]bool
	now     time.Time
	parts   [][]Item
	release func()
}

// opener returns part i's Open: each call streams the part afresh through a
// pipe; closing the reader early stops the writing. The export's slot is
// given back when its last part was written, or when any part failed.
func (e *exportJob) opener(i int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), exportHold)
			defer cancel()
			err := e.write(ctx, pw, i)
			pw.CloseWithError(err)
			if err != nil || i == len(e.parts)-1 {
				e.release()
			}
			if err != nil && !errors.Is(err, io.ErrClosedPipe) {
				e.s.Log.Warn("export part not written", "user", e.user, "part", i+1, "err", err)
			}
		}()
		return pr, nil
	}
}

func (e *exportJob) write(ctx context.Context, w io.Writer, i int) error {
	zw := zip.NewWriter(w)
	if i == 0 {
		if err := writeEntry(zw, "manifest.json", e.now, zip.Deflate, manifest(e.l, e.now, e.missing)); err != nil {
			return err
		}
		list := readableList(e.l, e.now, e.missing, e.s.Notices.Get("export_missing_file"))
		if err := writeEntry(zw, "证据清单.txt", e.now, zip.Deflate, []byte(list)); err != nil {
			return err
		}
	}
	for _, it := range e.parts[i] {
		r, err := e.s.Blobs.Open(ctx, e.user, it.SHA256)
		if errors.Is(err, ErrNotFound) {
			continue // erased since the export began
		}
		if err != nil {
			return fmt.Errorf("evidence: export item %d: %w", it.N, err)
		}
		// Images and PDFs are compressed already: store them as they are.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: fileName(it), Modified: it.Received, Method: zip.Store})
		if err == nil {
			_, err = io.Copy(fw, ctxReader{ctx, r})
		}
		r.Close()
		if err != nil {
			return fmt.Errorf("evidence: zip %s: %w", fileName(it), err)
		}
	}
	return zw.Close()
}

func fileName(it Item) string {
	ext := it.Type
	switch ext {
	case "jpeg":
		ext = "jpg"
	case TypeText:
		ext = "txt"
	}
	return fmt.Sprintf("%03d-%s.%s", it.N, it.SHA256[:8], ext)
}

func writeEntry(zw *zip.Writer, name string, modified time.Time, method uint16, data []byte) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Modified: modified, Method: method})
	if err != nil {
		return fmt.Errorf("evidence: zip %s: %w", name, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("evidence: zip %s: %w", name, err)
	}
	return nil
}

func manifest(l Ledger, now time.Time, missing map[int]bool) []byte {
	type entry struct {
		File    string `json:"file,omitempty"`
		Missing bool   `json:"missing,omitempty"` // the file is no longer kept: not in the archive
		Item
	}
	m := struct {
		Generator string  `json:"generator"`
		Generated string  `json:"generated"`
		Note      string  `json:"note"`
		Items     []entry `json:"items"`
	}{Generator: "AnNing (安宁) evidence ledger", Generated: now.UTC().Format(time.RFC3339),
		Note: "sha256 is the SHA-256 of each file's bytes as received; ocr_text and facts are machine-read and may contain errors"}
	for _, it := range l.Items {
		if missing[it.N] {
			m.Items = append(m.Items, entry{Missing: true, Item: it})
			continue
		}
		m.Items = append(m.Items, entry{File: fileName(it), Item: it})
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	return data
}

func readableList(l Ledger, now time.Time, missing map[int]bool, missingText string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "证据清单\r\n生成时间：%s（北京时间）\r\n共 %d 份。指纹为文件的 SHA-256，可用于核对文件没有被改动。\r\n文字识别结果由机器读取，可能有误，请对照原图核对。\r\n", now.In(beijing).Format("2006-01-02 15:04"), len(l.Items))
	for _, it := range l.Items {
		fmt.Fprintf(&b, "\r\n%d. %s\r\n   收到时间：%s\r\n   类型：%s，%s\r\n   SHA-256：%s\r\n", it.N, fileName(it),
			it.Received.In(beijing).Format("2006-01-02 15:04:05"), typeLabel(it.Type), sizeText(it.Size), it.SHA256)
		if missing[it.N] {
			fmt.Fprintf(&b, "   （%s）\r\n", missingText)
		}
		if it.ForwardDate != nil {
			fmt.Fprintf(&b, "   原消息时间：%s\r\n", it.ForwardDate.In(beijing).Format("2006-01-02 15:04"))
		}
		if it.Caption != "" {
			fmt.Fprintf(&b, "   说明：%s\r\n", it.Caption)
		}
		if it.Facts != nil {
			for _, row := range factRows(it.Facts) {
				if len(row.values) > 0 {
					fmt.Fprintf(&b, "   %s：%s\r\n", row.label, strings.Join(row.values, "、"))
				}
			}
		}
	}
	return b.String()
}
