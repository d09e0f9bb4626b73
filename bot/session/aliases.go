package session

import "github.com/anning-bot/anning/bot/domain"

// Deprecated aliases of the store types that moved to bot/domain (issue 16),
// kept only so code written against the old names still compiles while
// branches merge. Use the domain names; these go away.
type (
	Entry          = domain.Entry          // Deprecated: use domain.Entry.
	Store          = domain.Store          // Deprecated: use domain.Store.
	ReplyKeeper    = domain.ReplyKeeper    // Deprecated: use domain.ReplyKeeper.
	Kept           = domain.Kept           // Deprecated: use domain.Kept.
	Tombstones     = domain.Tombstones     // Deprecated: use domain.Tombstones.
	Deduper        = domain.Deduper        // Deprecated: use domain.Deduper.
	Outbox         = domain.Outbox         // Deprecated: use domain.Outbox.
	Delivery       = domain.Delivery       // Deprecated: use domain.Delivery.
	BatchDeliverer = domain.BatchDeliverer // Deprecated: use domain.BatchDeliverer.
)

// Deprecated: use domain.RepliesTTL and domain.DedupeWindow.
const (
	RepliesTTL   = domain.RepliesTTL
	DedupeWindow = domain.DedupeWindow
)

// ErrConflict is domain.ErrConflict (the same error value).
//
// Deprecated: use domain.ErrConflict.
var ErrConflict = domain.ErrConflict
