package evidence

import "bytes"

// Type is what a file really is, read from its first bytes (never from its
// name or the MIME type a client declared).
type Type struct {
	Name  string // jpeg, png, webp, heic, pdf
	MIME  string
	Label string // shown to people
	Image bool
}

// Types the bot keeps.
var (
	JPEG = Type{"jpeg", "image/jpeg", "图片", true}
	PNG  = Type{"png", "image/png", "图片", true}
	WebP = Type{"webp", "image/webp", "图片", true}
	HEIC = Type{"heic", "image/heic", "图片", true}
	PDF  = Type{"pdf", "application/pdf", "PDF 文件", false}
)

// SniffLen is how many leading bytes Sniff needs.
const SniffLen = 16

// Sniff reads the type from a file's first bytes; ok is false for anything
// the bot does not keep.
func Sniff(head []byte) (t Type, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return WebP, true
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF, true
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")):
		switch string(head[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return HEIC, true
		}
	}
	return Type{}, false
}
