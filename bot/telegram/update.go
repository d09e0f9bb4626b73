package telegram

import (
	"encoding/json"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/anning-bot/anning/bot/domain"
)

// incoming is one update, translated for the runner.
type incoming struct {
	UpdateID   int64
	ChatID     int64 // 0: not from a chat this bot serves (inline queries, channel posts...)
	Private    bool
	Command    bool // a /command (groups get an answer only to these)
	Event      domain.Event
	CallbackID string // set for a button press: it must be answered
	MessageID  int    // the message whose button was pressed
	Document   bool   // the attachment came as a document (not a photo)
}

// kind names the update for the metrics: text, command, button, photo,
// document, forward, unsupported, group or other.
func (in incoming) kind() string {
	switch {
	case in.ChatID == 0:
		return "other"
	case !in.Private:
		return "group"
	case in.CallbackID != "":
		return "button"
	case in.Command:
		return "command"
	}
	switch in.Event.Kind {
	case domain.EventText:
		return "text"
	case domain.EventUnsupported:
		return "unsupported"
	case domain.EventAttachment:
		a := in.Event.Attachment
		switch {
		case a.ForwardDate != 0:
			return "forward"
		case in.Document:
			return "document"
		}
		return "photo"
	}
	return "other"
}

// update is what the bot reads of a raw update, in one pass and nothing
// more: the library's types for the parts (Bot API 5.5), and what Bot API 7
// added to a message (forward_origin). Whatever else an update carries (the
// text and buttons of the message a pressed button is on, say) is skipped.
type update struct {
	UpdateID      int            `json:"update_id"`
	Message       *message       `json:"message"`
	CallbackQuery *callbackQuery `json:"callback_query"`
}

type callbackQuery struct {
	ID      string `json:"id"`
	Data    string `json:"data"`
	Message *struct {
		MessageID int            `json:"message_id"`
		Chat      *tgbotapi.Chat `json:"chat"`
	} `json:"message"`
}

type message struct {
	MessageID         int                      `json:"message_id"`
	Date              int                      `json:"date"`
	Chat              *tgbotapi.Chat           `json:"chat"`
	Text              string                   `json:"text"`
	Entities          []tgbotapi.MessageEntity `json:"entities"`
	Caption           string                   `json:"caption"`
	MediaGroupID      string                   `json:"media_group_id"`
	Photo             []tgbotapi.PhotoSize     `json:"photo"`
	Document          *tgbotapi.Document       `json:"document"`
	Voice             *tgbotapi.Voice          `json:"voice"`
	Audio             *tgbotapi.Audio          `json:"audio"`
	Video             *tgbotapi.Video          `json:"video"`
	VideoNote         *tgbotapi.VideoNote      `json:"video_note"`
	ForwardFrom       *tgbotapi.User           `json:"forward_from"`
	ForwardFromChat   *tgbotapi.Chat           `json:"forward_from_chat"`
	ForwardSenderName string                   `json:"forward_sender_name"`
	ForwardDate       int                      `json:"forward_date"`
	ForwardOrigin     *forwardOrigin           `json:"forward_origin"` // replaced forward_from/forward_date
}

// isCommand is tgbotapi's Message.IsCommand: a bot_command entity first.
func (m *message) isCommand() bool {
	return len(m.Entities) > 0 && m.Entities[0].Offset == 0 && m.Entities[0].IsCommand()
}

type forwardOrigin struct {
	Type       string `json:"type"`
	Date       int64  `json:"date"`
	SenderUser *struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"sender_user"`
	SenderUserName string `json:"sender_user_name"`
	Chat           *struct {
		Title string `json:"title"`
	} `json:"chat"`
	SenderChat *struct {
		Title string `json:"title"`
	} `json:"sender_chat"`
}

// decodeUpdate reads one raw update, decoding it once.
func decodeUpdate(raw []byte) (incoming, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return incoming{}, fmt.Errorf("telegram: decode update: %w", err)
	}
	in := translate(&u)
	if u.Message != nil {
		addForward(&in, u.Message)
	}
	return in, nil
}

// addForward marks a forwarded message: its text becomes evidence (not an
// answer), and any evidence keeps the original date and sender.
func addForward(in *incoming, m *message) {
	date, from := int64(m.ForwardDate), m.ForwardSenderName
	if m.ForwardFrom != nil {
		from = strings.TrimSpace(m.ForwardFrom.FirstName + " " + m.ForwardFrom.LastName)
	}
	if m.ForwardFromChat != nil {
		from = m.ForwardFromChat.Title
	}
	if o := m.ForwardOrigin; o != nil {
		date = o.Date
		switch {
		case o.SenderUser != nil:
			from = strings.TrimSpace(o.SenderUser.FirstName + " " + o.SenderUser.LastName)
		case o.SenderUserName != "":
			from = o.SenderUserName
		case o.Chat != nil:
			from = o.Chat.Title
		case o.SenderChat != nil:
			from = o.SenderChat.Title
		}
	}
	if date == 0 {
		return
	}
	if in.Event.Kind == domain.EventText && !strings.HasPrefix(in.Event.Text, "/") {
		in.Event = domain.Event{Kind: domain.EventAttachment, Seq: in.Event.Seq, Attachment: &domain.Attachment{Text: in.Event.Text}}
	}
	if a := in.Event.Attachment; a != nil {
		a.ForwardDate, a.ForwardFrom, a.MessageDate = date, from, int64(m.Date)
	}
}

func translate(u *update) incoming {
	in := incoming{UpdateID: int64(u.UpdateID)}
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		m := u.Message
		in.ChatID = m.Chat.ID
		in.Private = m.Chat.Type == "private"
		in.Command = m.isCommand()
		in.Document = m.Document != nil
		in.Event = messageEvent(m)
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		q := u.CallbackQuery
		in.ChatID = q.Message.Chat.ID
		in.Private = q.Message.Chat.Type == "private"
		in.CallbackID = q.ID
		in.MessageID = q.Message.MessageID
		ref, idx, ok := parseCallback(q.Data)
		if !ok {
			ref, idx = "", -1 // not ours: the engine answers it as expired
		}
		in.Event = domain.Event{Kind: domain.EventPick, Ref: ref, Index: idx}
	}
	in.Event.Seq = in.UpdateID
	return in
}

func messageEvent(m *message) domain.Event {
	ev := messageContent(m)
	if ev.Attachment != nil {
		ev.Attachment.MessageDate = int64(m.Date)
		ev.Attachment.Group = m.MediaGroupID
	}
	return ev
}

func messageContent(m *message) domain.Event {
	switch {
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size comes last
		return domain.Event{Kind: domain.EventAttachment, Attachment: &domain.Attachment{
			ID: p.FileID, UniqueID: p.FileUniqueID, Size: int64(p.FileSize), MIME: "image/jpeg", Caption: m.Caption}}
	case m.Document != nil:
		d := m.Document
		return domain.Event{Kind: domain.EventAttachment, Attachment: &domain.Attachment{
			ID: d.FileID, UniqueID: d.FileUniqueID, Name: d.FileName, MIME: d.MimeType, Size: int64(d.FileSize), Caption: m.Caption}}
	case m.Voice != nil:
		v := m.Voice
		return attachment(m, &domain.Attachment{ID: v.FileID, UniqueID: v.FileUniqueID, MIME: v.MimeType, Size: int64(v.FileSize), Duration: v.Duration})
	case m.Audio != nil:
		a := m.Audio
		return attachment(m, &domain.Attachment{ID: a.FileID, UniqueID: a.FileUniqueID, Name: a.FileName, MIME: a.MimeType, Size: int64(a.FileSize), Duration: a.Duration})
	case m.Video != nil:
		v := m.Video
		return attachment(m, &domain.Attachment{ID: v.FileID, UniqueID: v.FileUniqueID, Name: v.FileName, MIME: v.MimeType, Size: int64(v.FileSize), Duration: v.Duration})
	case m.VideoNote != nil:
		v := m.VideoNote
		return attachment(m, &domain.Attachment{ID: v.FileID, UniqueID: v.FileUniqueID, MIME: "video/mp4", Size: int64(v.FileSize), Duration: v.Duration})
	case m.Text != "":
		return domain.Event{Kind: domain.EventText, Text: m.Text}
	}
	return domain.Event{Kind: domain.EventUnsupported} // sticker, location, contact...
}

// attachment is a recording or video: kept as evidence like a photo.
func attachment(m *message, a *domain.Attachment) domain.Event {
	a.Caption = m.Caption
	return domain.Event{Kind: domain.EventAttachment, Attachment: a}
}
