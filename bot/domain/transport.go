package domain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Handler runs one turn for a person and returns the replies to send; the
// conversation runner (*chat.Runner) implements it, and every transport
// calls it. An error with no replies means the turn could not be settled:
// the transport sends nothing and leaves the update to be delivered again.
type Handler interface {
	Handle(ctx context.Context, user string, ev Event) ([]Reply, error)
}

// DeliveryRecorder is a Handler that wants to know when a turn's replies
// went out, so a redelivery of its update sends nothing twice.
type DeliveryRecorder interface {
	Delivered(ctx context.Context, user string, seq int64)
}

// Flusher is a Handler that records deliveries lazily and must be told to
// record them when a transport stops.
type Flusher interface {
	Flush(ctx context.Context)
}

// Holder is a Handler that can hold a turn's replies back durably (over
// the session store's Outbox): a transport that must wait to send them
// (Telegram's flood control) confirms their update at once, and if the
// process stops before they went out, the next one sends them.
type Holder interface {
	Hold(ctx context.Context, user string, due time.Time) error
	Release(ctx context.Context, user string)
	Due(ctx context.Context, by time.Time, n int) ([]string, error)
	Undelivered(ctx context.Context, user string) ([]Reply, int64, error)
}

// Notifier sends replies to a person outside a turn, e.g. when OCR is done.
type Notifier interface {
	Notify(ctx context.Context, user string, replies []Reply) error
}

// FileFetcher opens the bytes of a file a person sent; each transport has
// its own (Telegram: getFile and the file endpoint; the console: a local
// path; the web: an upload it keeps).
type FileFetcher interface {
	Fetch(ctx context.Context, user string, a *Attachment) (io.ReadCloser, error)
}

// Transport is one door people come in by (the console, Telegram, the
// web): it serves until ctx ends (or, for the console, its input does),
// calling a Handler for every turn.
type Transport interface {
	Run(ctx context.Context) error
}

// Transport names: the prefix of the user ids each transport forms.
const (
	TransportTelegram = "tg"
	TransportWeb      = "web"
	TransportConsole  = "console"
)

// UserID forms the id of a person who came in by transport: "web:ID".
// Ids of different transports never collide, and every per-person record
// (the session, its kept replies, the evidence ledger: PREFIX:{u:USER}:...
// in Redis) is keyed by it.
func UserID(transport, id string) string { return transport + ":" + id }

// TransportOf returns the transport a user id belongs to: the part before
// the first ':'. Ids without one are those of before transports had
// namespaces, kept as they are so existing sessions and evidence stay
// theirs: a bare number is a Telegram chat id ("123456789", "-100..."),
// and any other bare id names its transport itself (the console's one
// person is "console").
func TransportOf(user string) string {
	if i := strings.IndexByte(user, ':'); i >= 0 {
		return user[:i]
	}
	if isChatID(user) {
		return TransportTelegram
	}
	return user
}

func isChatID(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Door is what the rest of the bot needs of one transport to reach a
// person outside a turn: Notifier for replies that come later (an OCR
// summary), FileFetcher for the bytes of what they sent. Either may be nil.
type Door struct {
	Notifier    Notifier
	FileFetcher FileFetcher
}

// ErrNoDoor is returned for a person whose transport registered no door
// (or one without what was asked).
var ErrNoDoor = errors.New("domain: no door for this person's transport")

// Router routes late replies and file fetches to the door of each person's
// transport (TransportOf). It is a Notifier and a FileFetcher; the zero
// Router has no doors. Safe for concurrent use.
type Router struct {
	mu    sync.RWMutex
	doors map[string]Door
}

// Register sets the door of a transport (TransportTelegram...), replacing
// any before.
func (r *Router) Register(transport string, d Door) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.doors == nil {
		r.doors = map[string]Door{}
	}
	r.doors[transport] = d
}

// Door returns the door of user's transport.
func (r *Router) Door(user string) (Door, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.doors[TransportOf(user)]
	return d, ok
}

// Notify sends replies to user through their transport's Notifier.
func (r *Router) Notify(ctx context.Context, user string, replies []Reply) error {
	d, _ := r.Door(user)
	if d.Notifier == nil {
		return fmt.Errorf("%w (notify)", ErrNoDoor)
	}
	return d.Notifier.Notify(ctx, user, replies)
}

// Fetch opens an attachment of user through their transport's FileFetcher.
func (r *Router) Fetch(ctx context.Context, user string, a *Attachment) (io.ReadCloser, error) {
	d, _ := r.Door(user)
	if d.FileFetcher == nil {
		return nil, fmt.Errorf("%w (fetch)", ErrNoDoor)
	}
	return d.FileFetcher.Fetch(ctx, user, a)
}
