package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrOCRUnavailable means tesseract is not installed: evidence is still
// kept, without its text.
var ErrOCRUnavailable = errors.New("evidence: OCR unavailable (tesseract not installed)")

// OCR reads text from images with the tesseract program. Measured on a
// 2-core machine (design brief): chi_sim with thresholding_method=2 keeps
// green chat bubbles that the default drops, and OMP_THREAD_LIMIT=1 makes a
// screenshot take ~0.9 s instead of 2.4-4.2 s; chi_sim+eng is slower and no
// better. A separate program (not cgo) cannot take the bot down with it.
type OCR struct {
	bin     string
	timeout time.Duration
	slots   chan struct{}
}

// NewOCR finds tesseract; workers bounds how many images are read at once.
func NewOCR(workers int, timeout time.Duration) *OCR {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		bin = ""
	}
	return &OCR{bin: bin, timeout: timeout, slots: make(chan struct{}, max(workers, 1))}
}

// Available reports whether tesseract was found.
func (o *OCR) Available() bool { return o.bin != "" }

// maxOCRText bounds what is kept of tesseract's output.
const maxOCRText = 64 << 10

// Read returns the text of an image (JPEG, PNG or WebP).
func (o *OCR) Read(ctx context.Context, image []byte) (string, error) {
	if !o.Available() {
		return "", ErrOCRUnavailable
	}
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-o.slots }()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, "stdin", "stdout", "-l", "chi_sim", "-c", "thresholding_method=2")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(image)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("evidence: OCR timed out after %v", o.timeout)
		}
		// tesseract's stderr names the problem (e.g. an unreadable image), never the text.
		return "", fmt.Errorf("evidence: OCR failed: %w: %s", err, firstLine(errOut.String()))
	}
	text := out.String()
	if len(text) > maxOCRText {
		text = text[:maxOCRText]
	}
	return strings.ToValidUTF8(text, ""), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
