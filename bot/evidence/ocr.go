package evidence

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for prepareForOCR
	_ "image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
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

// MaxOCRPixels bounds the images read: a larger one (a "PNG bomb" of
// 30000x30000 pixels is under 1 MB) is refused from its header, before
// anything is decoded. Phone screenshots, long ones included, are far below.
const MaxOCRPixels = 40_000_000

// Limits of one tesseract run (setrlimit in the child): address space and
// CPU seconds. A normal screenshot needs ~150 MB and about a second.
const (
	ocrMaxMemory = 1 << 30
)

// ErrImageTooLarge means an image has more pixels than MaxOCRPixels.
type ErrImageTooLarge struct{ Width, Height int }

func (e *ErrImageTooLarge) Error() string {
	return fmt.Sprintf("evidence: image too large to read (%dx%d pixels)", e.Width, e.Height)
}

// ImageSize reads an image's pixel dimensions from its first bytes (JPEG,
// PNG, WebP); ok is false when they cannot be told.
func ImageSize(head []byte) (w, h int, ok bool) {
	if w, h, ok := webpSize(head); ok {
		return w, h, true
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// checkSize refuses an image over MaxOCRPixels.
func checkSize(head []byte) error {
	if w, h, ok := ImageSize(head); ok && int64(w)*int64(h) > MaxOCRPixels {
		return &ErrImageTooLarge{Width: w, Height: h}
	}
	return nil
}

// webpSize reads the canvas size of a WebP (VP8, VP8L or VP8X chunk).
func webpSize(b []byte) (int, int, bool) {
	if len(b) < 30 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8 ":
		// Frame tag (3 bytes), start code (3 bytes), then 14-bit sizes.
		return int(uint16(b[26])|uint16(b[27])<<8) & 0x3fff, int(uint16(b[28])|uint16(b[29])<<8) & 0x3fff, true
	case "VP8L":
		v := uint32(b[21]) | uint32(b[22])<<8 | uint32(b[23])<<16 | uint32(b[24])<<24
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, true
	case "VP8X":
		w := int(uint32(b[24])|uint32(b[25])<<8|uint32(b[26])<<16) + 1
		h := int(uint32(b[27])|uint32(b[28])<<8|uint32(b[29])<<16) + 1
		return w, h, true
	}
	return 0, 0, false
}

// Read returns the text of an image (JPEG, PNG or WebP), prepared for
// tesseract by prepareForOCR.
func (o *OCR) Read(ctx context.Context, img []byte) (string, error) {
	return o.ReadFile(ctx, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(img)), nil })
}

// ReadFile is Read of a file opened only once one of the OCR slots is
// held, so images waiting their turn are not in memory; an image over
// MaxOCRPixels is refused from its header (ErrImageTooLarge).
func (o *OCR) ReadFile(ctx context.Context, open func() (io.ReadCloser, error)) (string, error) {
	if !o.Available() {
		return "", ErrOCRUnavailable
	}
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-o.slots }()
	r, err := open()
	if err != nil {
		return "", err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if err := checkSize(head); err != nil {
		r.Close()
		return "", err
	}
	img, err := io.ReadAll(io.LimitReader(br, 64<<20))
	r.Close()
	if err != nil {
		return "", fmt.Errorf("evidence: OCR read file: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, "stdin", "stdout", "-l", "chi_sim", "-c", "thresholding_method=2")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(prepareForOCR(img))
	img = nil
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("evidence: OCR timed out after %v", o.timeout)
		}
		return "", fmt.Errorf("evidence: OCR failed: %w", err)
	}
	// Caps on the child: memory (a hostile image makes tesseract take
	// gigabytes) and CPU time (a second guard beside the timeout). Set at
	// once after the start, before tesseract has read its input.
	cpu := uint64(max(o.timeout/time.Second, 1)) + 1
	_ = unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_AS, &unix.Rlimit{Cur: ocrMaxMemory, Max: ocrMaxMemory}, nil)
	_ = unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_CPU, &unix.Rlimit{Cur: cpu, Max: cpu}, nil)
	if err := cmd.Wait(); err != nil {
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

// Preparing screenshots for tesseract. Measured on the fixtures of
// testdata/ocr_truth.json (TestOCRFigures): tesseract's chi_sim model reads
// dark text on a light ground, and text whose x-height is a dozen pixels or
// less poorly. Telegram sends photos at most 1280 px high, so a phone
// screenshot arrives ~590 px wide with its gray timestamps (11月5日 09:12)
// ~12 px high, and they were lost; dark-mode screenshots lost most lines.
// So, deterministically, in pure Go:
//
//   - gray (luma), inverted when the screenshot is mostly dark (dark mode);
//   - a gamma of 2, which darkens the light gray of timestamps and call-log
//     dates against their light ground and leaves black and white as they are;
//   - images narrower than prepMinWidth enlarged 2x or 3x (bicubic).
//
// The result is handed to tesseract as a PGM. Anything Go cannot decode
// (WebP, HEIC) or that is implausibly large goes to tesseract unchanged.

const (
	prepMinWidth  = 1000     // narrower images are enlarged, to at least this width
	prepMaxScale  = 3        // by at most this factor
	prepMaxPixels = 16 << 20 // larger images (pixels, before or after enlarging) are left as they are: memory
	darkLuma      = 96       // a pixel darker than this is dark
	gamma         = 2.0
)

// gammaLUT maps a luma to its value after the gamma.
var gammaLUT = func() (t [256]uint8) {
	for v := range t {
		t[v] = uint8(math.Round(255 * math.Pow(float64(v)/255, gamma)))
	}
	return t
}()

// prepareForOCR returns img as tesseract reads it best (a PGM), or img
// unchanged when it is no JPEG or PNG or too large.
func prepareForOCR(img []byte) []byte {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > prepMaxPixels {
		return img
	}
	m, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return img
	}
	g := toGray(m)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	dark := 0
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			if v < darkLuma {
				dark++
			}
		}
	}
	invert := dark*2 > w*h
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, v := range row {
			if invert {
				v = 255 - v
			}
			row[x] = gammaLUT[v]
		}
	}
	if w < prepMinWidth {
		k := min((prepMinWidth+w-1)/w, prepMaxScale)
		if k > 1 && w*k*h*k <= prepMaxPixels {
			g = upscale(g, k)
		}
	}
	return encodePGM(g)
}

// toGray converts m to 8-bit luma (ITU-R BT.601, as JPEG's Y), reading the
// Y plane of a JPEG directly.
func toGray(m image.Image) *image.Gray {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	switch src := m.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], src.Y[y*src.YStride:y*src.YStride+w])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], src.Pix[y*src.Stride:y*src.Stride+w])
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+4*w]
			for x := 0; x < w; x++ {
				r, gg, bb, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				// Premultiplied: transparent pixels are shown on white.
				g.Pix[y*g.Stride+x] = uint8((299*r+587*gg+114*bb+500)/1000 + 255 - a)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+4*w]
			for x := 0; x < w; x++ {
				r, gg, bb, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				// Transparent pixels are shown on white.
				l := (299*r + 587*gg + 114*bb + 500) / 1000
				g.Pix[y*g.Stride+x] = uint8((l*a + 255*(255-a) + 127) / 255)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, gg, bb, a := m.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied, 16 bits
				l := (299*r + 587*gg + 114*bb + 500) / 1000
				g.Pix[y*g.Stride+x] = uint8((l + (0xffff - a) + 0x80) >> 8)
			}
		}
	}
	return g
}

// upscale enlarges g k times with bicubic (Catmull-Rom) interpolation, rows
// then columns.
func upscale(g *image.Gray, k int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	W, H := w*k, h*k
	// Weights of the four source pixels for each of the k phases.
	type tap struct {
		off [4]int
		wt  [4]float32
	}
	taps := func(n, N int) []tap {
		out := make([]tap, N)
		for X := 0; X < N; X++ {
			// Pixel centres: source x = (X+0.5)/k - 0.5.
			sx := (float64(X)+0.5)/float64(k) - 0.5
			x0 := int(math.Floor(sx))
			t := sx - float64(x0)
			var tp tap
			for i := -1; i <= 2; i++ {
				tp.off[i+1] = min(max(x0+i, 0), n-1)
				tp.wt[i+1] = float32(cubic(float64(i) - t))
			}
			out[X] = tp
		}
		return out
	}
	tx, ty := taps(w, W), taps(h, H)
	// Rows first, into a float buffer of W x h.
	tmp := make([]float32, W*h)
	for y := 0; y < h; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := tmp[y*W : (y+1)*W]
		for X, tp := range tx {
			dst[X] = tp.wt[0]*float32(src[tp.off[0]]) + tp.wt[1]*float32(src[tp.off[1]]) +
				tp.wt[2]*float32(src[tp.off[2]]) + tp.wt[3]*float32(src[tp.off[3]])
		}
	}
	out := image.NewGray(image.Rect(0, 0, W, H))
	for Y, tp := range ty {
		r0, r1, r2, r3 := tmp[tp.off[0]*W:], tmp[tp.off[1]*W:], tmp[tp.off[2]*W:], tmp[tp.off[3]*W:]
		dst := out.Pix[Y*out.Stride : Y*out.Stride+W]
		for X := range dst {
			v := tp.wt[0]*r0[X] + tp.wt[1]*r1[X] + tp.wt[2]*r2[X] + tp.wt[3]*r3[X]
			dst[X] = uint8(min(max(v+0.5, 0), 255))
		}
	}
	return out
}

// cubic is the Catmull-Rom kernel (a = -0.5).
func cubic(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// encodePGM writes g as a binary PGM (P5), which tesseract reads from stdin.
func encodePGM(g *image.Gray) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	head := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	out := make([]byte, 0, len(head)+w*h)
	out = append(out, head...)
	for y := 0; y < h; y++ {
		out = append(out, g.Pix[y*g.Stride:y*g.Stride+w]...)
	}
	return out
}
