// Package domain holds the shared conversation types every layer depends
// on: what a person did (Event, Attachment), what the bot answers (Reply,
// File), the work a turn asks for (Action), the session store's interface
// (Store and its companions), and the small interfaces between the
// conversation runner and the transports (Handler, Notifier, FileFetcher,
// Transport...). It imports nothing of the project, after Ben Johnson's
// "standard package layout" (github.com/benbjohnson/wtf): the engine
// (bot/flow), the runner (bot/chat), the stores (bot/session) and every
// transport (bot/console, bot/telegram, bot/web) depend on it, so a
// transport never imports the engine or a store.
package domain

import (
	"bytes"
	"errors"
	"io"
)

// EventKind says what the person did.
type EventKind int

// Event kinds.
const (
	EventText        EventKind = iota // typed text or a command
	EventPick                         // pressed a choice button: Ref and Index
	EventAttachment                   // sent a photo or file
	EventUnsupported                  // sent something the bot cannot read (sticker, voice...)
	EventOpen                         // a transport opened the chat: greet a new person, welcome back a known one
	EventResend                       // show the current question again (a redelivered update whose reply may be lost)
)

// Event is one thing the person did, as the transport saw it.
type Event struct {
	Kind       EventKind
	Seq        int64 // the platform's increasing id of the event (Telegram's update_id); 0: none
	Text       string
	Ref        string
	Index      int
	Attachment *Attachment
	// Heard are facts the runner read in typed text (a platform, an
	// amount, who was contacted...), as heard_* variables: kept as
	// proposals that a flow asks the person to confirm before using.
	Heard map[string]string
}

// Attachment describes a file the person sent; its bytes stay with the
// transport (see FileFetcher).
type Attachment struct {
	ID       string // the transport's file id; empty for text evidence
	UniqueID string
	Name     string
	MIME     string
	Size     int64
	Caption  string
	Text     string // text evidence: a forwarded or pasted message

	MessageDate int64  // unix seconds the message was sent to the bot
	ForwardDate int64  // unix seconds of the original message, when forwarded
	ForwardFrom string // who wrote the original (name or title), when forwarded
	Duration    int    // seconds, for a recording or video, when the transport says
	Group       string // the album it came in (Telegram's media_group_id); "" alone
}

// ReplyKind tells transports how a reply may be shown.
type ReplyKind int

// Reply kinds.
const (
	ReplySay      ReplyKind = iota // flow text
	ReplyCitation                  // a statute, verbatim
	ReplyChannel                   // a complaint channel
	ReplyNotice                    // the engine's own short message
	ReplyCrisis                    // crisis hotlines: show first
	ReplyExpired                   // a button of an old question was pressed
)

// Reply is one message to send. Text is plain text: transports escape it.
type Reply struct {
	Kind    ReplyKind
	Text    string
	Choices []string
	Ref     string // with Choices: the question they answer
	File    *File  // a document to send with the text (e.g. the evidence ZIP)
}

// File is a document sent to the person: its bytes (Data), or, for a large
// one, a way to read them when it is sent (Open), so that no transport holds
// a whole archive in memory. Open may be called more than once (a retried
// upload) and each reader must be closed.
type File struct {
	Name string
	Data []byte
	Open func() (io.ReadCloser, error) `json:"-"`
}

// Reader returns the file's bytes to read: from Open when set, else Data.
func (f *File) Reader() (io.ReadCloser, error) {
	if f.Open != nil {
		return f.Open()
	}
	return io.NopCloser(bytes.NewReader(f.Data)), nil
}

// ErrAttachmentTooLarge is what a transport's fetcher returns when the
// platform refuses to hand the bot a file because of its size (Telegram's
// getFile: "file is too big", over 20 MB): sending it again cannot help.
var ErrAttachmentTooLarge = errors.New("attachment too large for the platform to hand over")

// Action kinds the runner carries out after a turn.
const (
	DoErase       = "erase"        // delete all of the person's data
	DoEvidenceAdd = "evidence.add" // keep the attachment as evidence
	DoEvidence    = "evidence"     // a step's evidence action
	DoDraft       = "draft"        // a step's draft action
)

// Action is work with side effects that the engine asks the runner to do.
type Action struct {
	Kind       string
	With       map[string]string
	Attachment *Attachment
	// Before places the action's replies: before the reply at index
	// Before-1 of the turn's replies (after the step's own text, and before
	// the question a waiting step asks, which stays last); 0: at the end.
	Before int `json:",omitempty"`
}
