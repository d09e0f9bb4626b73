package flow

import "github.com/anning-bot/anning/bot/domain"

// Deprecated aliases of the conversation types that moved to bot/domain
// (issue 16), kept only so code written against the old names still
// compiles while branches merge. Use the domain names; these go away.
type (
	EventKind  = domain.EventKind  // Deprecated: use domain.EventKind.
	Event      = domain.Event      // Deprecated: use domain.Event.
	Attachment = domain.Attachment // Deprecated: use domain.Attachment.
	ReplyKind  = domain.ReplyKind  // Deprecated: use domain.ReplyKind.
	Reply      = domain.Reply      // Deprecated: use domain.Reply.
	File       = domain.File       // Deprecated: use domain.File.
	Action     = domain.Action     // Deprecated: use domain.Action.
)

// Deprecated: use the domain constants of the same names.
const (
	EventText        = domain.EventText
	EventPick        = domain.EventPick
	EventAttachment  = domain.EventAttachment
	EventUnsupported = domain.EventUnsupported
	EventOpen        = domain.EventOpen
	EventResend      = domain.EventResend

	ReplySay      = domain.ReplySay
	ReplyCitation = domain.ReplyCitation
	ReplyChannel  = domain.ReplyChannel
	ReplyNotice   = domain.ReplyNotice
	ReplyCrisis   = domain.ReplyCrisis
	ReplyExpired  = domain.ReplyExpired

	DoErase       = domain.DoErase
	DoEvidenceAdd = domain.DoEvidenceAdd
	DoEvidence    = domain.DoEvidence
	DoDraft       = domain.DoDraft
)
