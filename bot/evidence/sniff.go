package evidence

import "bytes"

// Type is what a file really is, read from its first bytes (never from its
// name or the MIME type a client declared).
type Type struct {
	Name  string // jpeg, png, webp, heic, pdf, mp3, m4a, ... (also the file extension on export)
	MIME  string
	Label string // shown to people
	Image bool   // read with OCR
}

// Types the bot keeps. Call recordings are the main evidence beside
// screenshots: audio and video are kept as they are (no OCR).
var (
	JPEG = Type{"jpeg", "image/jpeg", "图片", true}
	PNG  = Type{"png", "image/png", "图片", true}
	WebP = Type{"webp", "image/webp", "图片", true}
	HEIC = Type{"heic", "image/heic", "图片", true}
	AVIF = Type{"avif", "image/avif", "图片", true}
	PDF  = Type{"pdf", "application/pdf", "PDF 文件", false}

	MP3  = Type{"mp3", "audio/mpeg", "录音", false}
	AAC  = Type{"aac", "audio/aac", "录音", false}
	M4A  = Type{"m4a", "audio/mp4", "录音", false}
	AMR  = Type{"amr", "audio/amr", "录音", false}
	WAV  = Type{"wav", "audio/wav", "录音", false}
	OGG  = Type{"ogg", "audio/ogg", "录音", false} // Telegram voice messages (Opus)
	FLAC = Type{"flac", "audio/flac", "录音", false}
	SILK = Type{"silk", "audio/silk", "录音", false} // WeChat voice messages
	MP4  = Type{"mp4", "video/mp4", "视频", false}
	MOV  = Type{"mov", "video/quicktime", "视频", false}
	GP3  = Type{"3gp", "video/3gpp", "视频", false}
	WebM = Type{"webm", "video/webm", "视频", false}
)

// types lists every kept type, for looking one up by name.
var types = []Type{JPEG, PNG, WebP, HEIC, AVIF, PDF, MP3, AAC, M4A, AMR, WAV, OGG, FLAC, SILK, MP4, MOV, GP3, WebM}

// typeByName returns the kept type with the name.
func typeByName(name string) (Type, bool) {
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// SniffLen is how many leading bytes Sniff needs.
const SniffLen = 16

// Sniff reads the type from a file's first bytes; ok is false for anything
// the bot does not keep.
func Sniff(head []byte) (t Type, ok bool) {
	has := func(prefix string) bool { return bytes.HasPrefix(head, []byte(prefix)) }
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, true
	case has("\x89PNG\r\n\x1a\n"):
		return PNG, true
	case len(head) >= 12 && has("RIFF") && bytes.Equal(head[8:12], []byte("WEBP")):
		return WebP, true
	case len(head) >= 12 && has("RIFF") && bytes.Equal(head[8:12], []byte("WAVE")):
		return WAV, true
	case has("%PDF-"):
		return PDF, true
	case has("ID3"):
		return MP3, true
	case len(head) >= 2 && head[0] == 0xFF && head[1]&0xF6 == 0xF0:
		return AAC, true // ADTS frame: 1111 1111 1111 x00x
	case len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		return MP3, true // MPEG audio frame sync
	case has("#!AMR"):
		return AMR, true
	case has("#!SILK_V3"), has("\x02#!SILK_V3"):
		return SILK, true
	case has("OggS"):
		return OGG, true
	case has("fLaC"):
		return FLAC, true
	case has("\x1A\x45\xDF\xA3"):
		return WebM, true // Matroska/WebM
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")):
		switch brand := string(head[8:12]); brand {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return HEIC, true
		case "avif", "avis":
			return AVIF, true
		case "M4A ", "M4B ", "M4P ":
			return M4A, true
		case "qt  ":
			return MOV, true
		case "3gp4", "3gp5", "3gp6", "3gp7", "3gs7", "3g2a", "3g2b":
			return GP3, true
		default:
			return MP4, true // isom, mp41, mp42, avc1, iso2...: an MP4 container
		}
	}
	return Type{}, false
}
