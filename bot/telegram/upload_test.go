package telegram_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/internal/memtest"
)

// zeros is a reader of n zero bytes that holds none of them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// A document (an evidence export's part) is uploaded as it is read: the
// bot's heap does not grow by the document's size. The fake digests the
// upload rather than keeping it, so the process's figures are the bot's.
func TestDocumentUploadStreams(t *testing.T) {
	h := newHarness(t, shipped(t), nil)
	h.fake.DigestUploads()
	const size = 45 << 20
	opened := 0
	file := &domain.File{Name: "part1.zip", Open: func() (io.ReadCloser, error) {
		opened++
		return io.NopCloser(&zeros{n: size}), nil
	}}
	sum := sha256.New()
	io.Copy(sum, &zeros{n: size})
	want := hex.EncodeToString(sum.Sum(nil))

	var err error
	grew, _ := memtest.HeapGrowth(func() {
		err = h.bot.Notify(context.Background(), "5150", []domain.Reply{{Kind: domain.ReplyNotice, Text: "证据压缩包", File: file}})
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := h.fake.Sent(5150)
	if len(sent) != 1 || sent[0].DocumentSHA256 != want || sent[0].DocumentSize != size || opened != 1 {
		t.Fatalf("sent %+v (opened %d times)", sent, opened)
	}
	t.Logf("a %d MB document uploaded: heap in use peaked %+.1f MB above baseline", size>>20, float64(grew)/(1<<20))
	if grew > 16<<20 {
		t.Errorf("uploading held %.1f MB; want under 16 MB (streamed)", float64(grew)/(1<<20))
	}
}
