package content

import (
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"
)

// NoticesFile holds the short messages of evidence export, image reading
// and erasure.
const NoticesFile = "notices.yaml"

// Notices are those messages by key.
type Notices map[string]string

// noticeKeys are the keys every notices file must give, with how many
// verbs (%d, %s) each takes.
var noticeKeys = map[string]int{
	"export_busy":         0,
	"export_gave_up":      0,
	"export_missing_file": 0,
	"export_missing_note": 1,
	"image_too_large":     2,
	"erase_unfinished":    0,
	"erase_finished":      0,
}

// LoadNotices reads notices.yaml from fsys and checks that every message
// is there with its verbs.
func LoadNotices(fsys fs.FS) (Notices, error) {
	data, err := fs.ReadFile(fsys, NoticesFile)
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	var n Notices
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("content: %s: %w", NoticesFile, err)
	}
	var problems []string
	for key, verbs := range noticeKeys {
		text := strings.TrimSpace(n[key])
		if text == "" {
			problems = append(problems, fmt.Sprintf("%s: %s missing (hint: add it; see the embedded copy)", NoticesFile, key))
			continue
		}
		if got := strings.Count(text, "%d") + strings.Count(text, "%s"); got != verbs {
			problems = append(problems, fmt.Sprintf("%s: %s has %d of %%d/%%s, want %d", NoticesFile, key, got, verbs))
		}
		n[key] = text
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("content: %s", strings.Join(problems, "; "))
	}
	return n, nil
}

// DefaultNotices are the embedded notices.
func DefaultNotices() Notices {
	n, err := LoadNotices(FS)
	if err != nil {
		panic(err) // the embedded file is checked by its test
	}
	return n
}

// Get returns the message for key ("" for an unknown one).
func (n Notices) Get(key string) string { return n[key] }
