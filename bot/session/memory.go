package session

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Memory is an in-process Store. Entries idle for longer than ttl are
// dropped when next touched (ttl 0: never).
type Memory struct {
	mu      sync.Mutex
	entries map[string]memEntry
	seen    map[string]time.Time
	held    map[string]time.Time // Outbox: user -> due
	ttl     time.Duration
	now     func() time.Time
}

type memEntry struct {
	data    []byte
	rev     int64
	expires time.Time

	kept        Kept
	keptExpires time.Time
}

// NewMemory returns an empty memory store.
func NewMemory(ttl time.Duration, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{entries: map[string]memEntry{}, seen: map[string]time.Time{}, held: map[string]time.Time{}, ttl: ttl, now: now}
}

func (m *Memory) live(user string) (memEntry, bool) {
	e, ok := m.entries[user]
	if ok && m.ttl > 0 && m.now().After(e.expires) {
		delete(m.entries, user)
		return memEntry{}, false
	}
	return e, ok
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, user string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(user)
	if !ok {
		return Entry{}, nil
	}
	return Entry{Data: append([]byte(nil), e.data...), Rev: e.rev}, nil
}

// Put implements Store; kept replies stay as they are.
func (m *Memory) Put(ctx context.Context, user string, data []byte, rev int64) (int64, error) {
	return m.put(ctx, user, data, nil, rev, nil)
}

// PutWithReplies implements ReplyKeeper.
func (m *Memory) PutWithReplies(ctx context.Context, user string, data []byte, kept Kept, rev int64) (int64, error) {
	return m.put(ctx, user, data, &kept, rev, nil)
}

// PutOver implements Overwriter.
func (m *Memory) PutOver(ctx context.Context, user string, data []byte, kept Kept, prev Entry) (int64, error) {
	if kept.Seq == 0 {
		return m.put(ctx, user, data, nil, prev.Rev, prev.Data)
	}
	return m.put(ctx, user, data, &kept, prev.Rev, prev.Data)
}

// put writes if the stored revision is rev and, given prevData, the stored
// bytes are those.
func (m *Memory) put(ctx context.Context, user string, data []byte, kept *Kept, rev int64, prevData []byte) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, _ := m.live(user)
	if e.rev != rev || prevData != nil && !bytes.Equal(e.data, prevData) {
		return 0, ErrConflict
	}
	next := memEntry{data: append([]byte(nil), data...), rev: rev + 1, kept: e.kept, keptExpires: e.keptExpires}
	if m.ttl > 0 {
		next.expires = m.now().Add(m.ttl)
	}
	if kept != nil {
		next.kept = Kept{Seq: kept.Seq, Replies: append([]byte(nil), kept.Replies...)}
		next.keptExpires = m.now().Add(RepliesTTL)
	}
	m.entries[user] = next
	return next.rev, nil
}

// Replies implements ReplyKeeper.
func (m *Memory) Replies(ctx context.Context, user string) (Kept, error) {
	if err := ctx.Err(); err != nil {
		return Kept{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(user)
	if !ok || e.kept.Seq == 0 || m.now().After(e.keptExpires) {
		return Kept{}, nil
	}
	return Kept{Seq: e.kept.Seq, Replies: append([]byte(nil), e.kept.Replies...)}, nil
}

// Delivered implements ReplyKeeper.
func (m *Memory) Delivered(ctx context.Context, user string, seq int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.live(user); ok && e.kept.Seq == seq {
		e.kept.Replies = nil
		m.entries[user] = e
	}
	return nil
}

// DeliveredAll implements BatchDeliverer.
func (m *Memory) DeliveredAll(ctx context.Context, ds []Delivery) error {
	for _, d := range ds {
		if err := m.Delivered(ctx, d.User, d.Seq); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, user string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live(user); !ok {
		return 0, nil
	}
	delete(m.entries, user)
	return 1, nil
}

// MarkErased implements Tombstones.
func (m *Memory) MarkErased(ctx context.Context, seq int64) error {
	_, err := m.FirstSeen(ctx, "erased:"+strconv.FormatInt(seq, 10))
	return err
}

// Erased implements Tombstones.
func (m *Memory) Erased(ctx context.Context, seq int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.seen["erased:"+strconv.FormatInt(seq, 10)]
	return ok && m.now().Before(until), nil
}

// FirstSeen implements Deduper.
func (m *Memory) FirstSeen(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if until, ok := m.seen[id]; ok && now.Before(until) {
		return false, nil
	}
	if len(m.seen) > 100_000 { // forget expired ids now and then
		for k, until := range m.seen {
			if !now.Before(until) {
				delete(m.seen, k)
			}
		}
	}
	m.seen[id] = now.Add(DedupeWindow)
	return true, nil
}

// Hold implements Outbox.
func (m *Memory) Hold(ctx context.Context, user string, due time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held[user] = due
	return nil
}

// Release implements Outbox.
func (m *Memory) Release(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.held, user)
	return nil
}

// Due implements Outbox, oldest first.
func (m *Memory) Due(ctx context.Context, now time.Time, lease time.Duration, n int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []string
	for user, at := range m.held {
		if !at.After(now) {
			due = append(due, user)
		}
	}
	slices.SortFunc(due, func(a, b string) int { return m.held[a].Compare(m.held[b]) })
	if len(due) > n {
		due = due[:n]
	}
	for _, user := range due {
		m.held[user] = now.Add(lease)
	}
	return due, nil
}
