package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anning-bot/anning/bot/domain"
)

// maxExportPart keeps each ZIP under Telegram's 50 MB upload limit.
const maxExportPart = 45 << 20

// export packs the ledger into ZIPs: the files, manifest.json with all
// metadata and hashes, and a readable list (证据清单.txt). The manifest and
// the list, covering every item, are in the first part.
func (s *Service) export(ctx context.Context, user string) ([]domain.Reply, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if len(l.Items) == 0 {
		return notice(msgEmpty), nil
	}
	now := s.Now()
	parts, err := s.zipParts(ctx, user, l, now)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	var replies []domain.Reply
	for i, data := range parts {
		name := fmt.Sprintf("anning-evidence-%s.zip", now.In(beijing).Format("20060102-1504"))
		text := fmt.Sprintf(msgExported, len(l.Items))
		if len(parts) > 1 {
			name = strings.TrimSuffix(name, ".zip") + fmt.Sprintf("-part%d.zip", i+1)
			text = fmt.Sprintf("证据压缩包 第 %d/%d 部分。", i+1, len(parts))
			if i == 0 {
				text += "\n" + fmt.Sprintf(msgExported, len(l.Items))
			}
		}
		replies = append(replies, domain.Reply{Kind: domain.ReplyNotice, Text: text, File: &domain.File{Name: name, Data: data}})
	}
	s.Log.Info("evidence exported", "user", user, "items", len(l.Items), "parts", len(parts))
	return replies, nil
}

func (s *Service) zipParts(ctx context.Context, user string, l Ledger, now time.Time) ([][]byte, error) {
	var parts [][]byte
	var buf *bytes.Buffer
	var zw *zip.Writer
	size := int64(0)
	closePart := func() error {
		if zw == nil {
			return nil
		}
		if err := zw.Close(); err != nil {
			return err
		}
		parts = append(parts, buf.Bytes())
		zw = nil
		return nil
	}
	open := func() {
		buf = &bytes.Buffer{}
		zw = zip.NewWriter(buf)
		size = 0
	}
	open()
	if err := writeEntry(zw, "manifest.json", now, zip.Deflate, manifest(l, now)); err != nil {
		return nil, err
	}
	if err := writeEntry(zw, "证据清单.txt", now, zip.Deflate, []byte(readableList(l, now))); err != nil {
		return nil, err
	}
	for _, it := range l.Items {
		if size > 0 && size+it.Size > maxExportPart {
			if err := closePart(); err != nil {
				return nil, err
			}
			open()
		}
		r, err := s.Blobs.Open(ctx, user, it.SHA256)
		if err != nil {
			return nil, fmt.Errorf("evidence: export item %d: %w", it.N, err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		// Images and PDFs are compressed already: store them as they are.
		if err := writeEntry(zw, fileName(it), it.Received, zip.Store, data); err != nil {
			return nil, err
		}
		size += it.Size
	}
	if err := closePart(); err != nil {
		return nil, err
	}
	return parts, nil
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

func manifest(l Ledger, now time.Time) []byte {
	type entry struct {
		File string `json:"file"`
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
		m.Items = append(m.Items, entry{File: fileName(it), Item: it})
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	return data
}

func readableList(l Ledger, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "证据清单\r\n生成时间：%s（北京时间）\r\n共 %d 份。指纹为文件的 SHA-256，可用于核对文件没有被改动。\r\n文字识别结果由机器读取，可能有误，请对照原图核对。\r\n", now.In(beijing).Format("2006-01-02 15:04"), len(l.Items))
	for _, it := range l.Items {
		fmt.Fprintf(&b, "\r\n%d. %s\r\n   收到时间：%s\r\n   类型：%s，%s\r\n   SHA-256：%s\r\n", it.N, fileName(it),
			it.Received.In(beijing).Format("2006-01-02 15:04:05"), typeLabel(it.Type), sizeText(it.Size), it.SHA256)
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
