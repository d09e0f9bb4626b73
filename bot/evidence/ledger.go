package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/evidence/facts"
)

// OCR states of an item.
const (
	OCRPending     = "pending"
	OCRDone        = "done"
	OCRUnavailable = "unavailable" // tesseract not installed
	OCRFailed      = "failed"
	OCRNone        = "none"      // not an image tesseract reads (PDF, HEIC)
	OCRTooLarge    = "too_large" // more pixels than MaxOCRPixels: not read
)

// Item is one piece of evidence: its file and everything known about it.
type Item struct {
	N            int          `json:"n"` // the person's own numbering, from 1
	SHA256       string       `json:"sha256"`
	Size         int64        `json:"size"`
	Type         string       `json:"type"`               // jpeg, png, webp, heic, pdf, mp3, m4a, mp4... (see sniff.go)
	Duration     int          `json:"duration,omitempty"` // seconds, for recordings and videos when the transport knows it
	FileUniqueID string       `json:"file_unique_id,omitempty"`
	Caption      string       `json:"caption,omitempty"`
	MessageDate  *time.Time   `json:"message_date,omitempty"`
	ForwardDate  *time.Time   `json:"forward_date,omitempty"`
	ForwardFrom  string       `json:"forward_from,omitempty"`
	Received     time.Time    `json:"received"`
	OCR          string       `json:"ocr"`
	Text         string       `json:"ocr_text,omitempty"`
	Facts        *facts.Facts `json:"facts,omitempty"`
}

// Ledger is a person's evidence list, kept in the session store.
type Ledger struct {
	Version int    `json:"v"`
	Items   []Item `json:"items"`
	Next    int    `json:"next"` // the number the next item gets
	// Export is the last export request and how often it was tried.
	Export *exportTry `json:"export,omitempty"`
}

func (l *Ledger) find(sha string) *Item {
	for i := range l.Items {
		if l.Items[i].SHA256 == sha {
			return &l.Items[i]
		}
	}
	return nil
}

func (l *Ledger) number(n int) *Item {
	for i := range l.Items {
		if l.Items[i].N == n {
			return &l.Items[i]
		}
	}
	return nil
}

func (l *Ledger) pending() int {
	n := 0
	for _, it := range l.Items {
		if it.OCR == OCRPending {
			n++
		}
	}
	return n
}

func (l *Ledger) totalSize() int64 {
	var t int64
	for _, it := range l.Items {
		t += it.Size
	}
	return t
}

// ledgers reads and updates ledgers with compare-and-set.
type ledgers struct{ store domain.Store }

func (s ledgers) get(ctx context.Context, user string) (Ledger, int64, error) {
	e, err := s.store.Get(ctx, user)
	if err != nil {
		return Ledger{}, 0, fmt.Errorf("evidence: read ledger: %w", err)
	}
	var l Ledger
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &l); err != nil {
			return Ledger{}, 0, fmt.Errorf("evidence: decode ledger: %w", err)
		}
	}
	if l.Next == 0 {
		l.Next = 1
	}
	return l, e.Rev, nil
}

// update applies fn to the newest ledger, retrying when another writer got
// there first. fn may be called more than once.
func (s ledgers) update(ctx context.Context, user string, fn func(*Ledger) error) (Ledger, error) {
	for attempt := 0; attempt < 10; attempt++ {
		l, rev, err := s.get(ctx, user)
		if err != nil {
			return Ledger{}, err
		}
		if err := fn(&l); err != nil {
			return l, err
		}
		l.Version = 1
		data, err := json.Marshal(l)
		if err != nil {
			return Ledger{}, fmt.Errorf("evidence: encode ledger: %w", err)
		}
		_, err = s.store.Put(ctx, user, data, rev)
		if errors.Is(err, domain.ErrConflict) {
			continue
		}
		if err != nil {
			return Ledger{}, fmt.Errorf("evidence: save ledger: %w", err)
		}
		return l, nil
	}
	return Ledger{}, fmt.Errorf("evidence: save ledger: %w", domain.ErrConflict)
}
