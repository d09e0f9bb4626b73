// Package session keeps each person's conversation state between turns,
// behind a small Store interface with compare-and-set writes. The memory
// store here serves the console and tests; Redis serves production.
package session

import (
	"context"
	"errors"
	"time"
)

// ErrConflict means the entry changed since it was read: reload and retry.
var ErrConflict = errors.New("session: entry changed since it was read")

// ErrRefused means the store answered that it did not carry out a command
// (Redis replied with an error: out of memory under maxmemory/noeviction, an
// ACL denial, a wrong password): nothing was written. (LOADING, READONLY and
// other replies of a restart or failover are not refusals: see fail.)
// Unlike a timeout or a broken connection, after which a write may have
// landed, a refused turn can be answered "busy" at once.
var ErrRefused = errors.New("session: the store refused the command")

// Entry is a stored session: opaque bytes and a revision for compare-and-set.
// A user with no session has the zero Entry (Rev 0).
type Entry struct {
	Data []byte
	Rev  int64
}

// Store keeps one Entry per user id.
type Store interface {
	// Get returns the user's entry, or the zero Entry when there is none.
	Get(ctx context.Context, user string) (Entry, error)
	// Put writes data if the stored revision is still rev (0: none stored),
	// and returns the new revision; otherwise it returns ErrConflict.
	Put(ctx context.Context, user string, data []byte, rev int64) (int64, error)
	// Delete erases everything kept for the user and says how many items
	// were removed.
	Delete(ctx context.Context, user string) (int, error)
}

// ReplyKeeper is a Store that also keeps a copy of a turn's replies beside
// the session, written in the same atomic step and kept for RepliesTTL, until
// they were delivered. When a platform redelivers an update whose replies
// were lost (a crash, a failed send), the turn is not applied again, but its
// replies can be sent in full; when they had arrived, nothing is sent twice.
type ReplyKeeper interface {
	// PutWithReplies is Put that also replaces what is kept (Seq 0: nothing).
	PutWithReplies(ctx context.Context, user string, data []byte, kept Kept, rev int64) (int64, error)
	// Replies returns what is kept, or the zero Kept.
	Replies(ctx context.Context, user string) (Kept, error)
	// Delivered drops the replies of update seq, if they are the ones kept,
	// and remembers that they arrived.
	Delivered(ctx context.Context, user string, seq int64) error
}

// Overwriter is a ReplyKeeper that writes over a session without reading it
// again: the runner keeps the session it last wrote for each person and,
// while nobody else wrote since, skips the turn's read. PutOver writes as
// PutWithReplies does (kept.Seq 0: as Put, leaving the kept replies alone),
// but only if the stored session is still exactly prev, the same revision
// and the same bytes; otherwise ErrConflict. Comparing the bytes too keeps a
// session erased and written again since (its revisions restart at 1) from
// being taken for the one kept: the state holds the last update's id.
type Overwriter interface {
	PutOver(ctx context.Context, user string, data []byte, kept Kept, prev Entry) (int64, error)
}

// Kept is what a turn leaves for a redelivery of its update.
type Kept struct {
	Seq     int64  // the platform update the turn applied
	Replies []byte // opaque to the store; nil once they were delivered
}

// RepliesTTL is how long a turn's replies are kept: Telegram keeps an
// undelivered update for 24 hours.
const RepliesTTL = 24 * time.Hour

// Tombstones remember, for DedupeWindow, the platform updates that erased
// a person's data (by update id only: nothing of the person stays), so a
// redelivery of such an update finds no session and yet is not taken for
// a first message.
type Tombstones interface {
	MarkErased(ctx context.Context, seq int64) error
	Erased(ctx context.Context, seq int64) (bool, error)
}

// DedupeWindow is how long a platform update id is remembered. Telegram keeps
// undelivered updates for 24 hours; twice that leaves a margin.
const DedupeWindow = 48 * time.Hour

// Deduper recognises platform updates that were already handled.
type Deduper interface {
	// FirstSeen records id and reports whether this is its first sighting.
	FirstSeen(ctx context.Context, id string) (bool, error)
}

// Outbox notes the people whose last turn's replies wait to go out (the
// platform asked the bot to wait) after their update was already confirmed
// to the platform, which therefore will not deliver it again. If the
// process stops before the replies went out, the next one takes them up
// from here (with the copy kept by the ReplyKeeper).
type Outbox interface {
	// Hold notes that user's replies wait; they are due to be taken up by
	// someone else once due has passed.
	Hold(ctx context.Context, user string, due time.Time) error
	// Release forgets the note: the replies went out.
	Release(ctx context.Context, user string) error
	// Due returns up to n people whose note is due, and pushes each one's
	// due time back by lease, so nobody else takes them up meanwhile.
	Due(ctx context.Context, now time.Time, lease time.Duration, n int) ([]string, error)
}

// Delivery says that the replies of a person's update Seq went out.
type Delivery struct {
	User string
	Seq  int64
}

// BatchDeliverer is a ReplyKeeper that records many deliveries at once
// (ReplyKeeper.Delivered for each, in one round trip).
type BatchDeliverer interface {
	DeliveredAll(ctx context.Context, ds []Delivery) error
}
