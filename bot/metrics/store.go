package metrics

import (
	"context"

	"github.com/anning-bot/anning/bot/domain"
)

// Store counts the errors of a session store under name (e.g. "session",
// "evidence"); a nil *Metrics returns s itself.
func (m *Metrics) Store(name string, s domain.Store) domain.Store {
	if m == nil {
		return s
	}
	return countedStore{Store: s, m: m, name: name}
}

type countedStore struct {
	domain.Store
	m    *Metrics
	name string
}

func (c countedStore) Get(ctx context.Context, user string) (domain.Entry, error) {
	e, err := c.Store.Get(ctx, user)
	c.m.StoreError(c.name+".get", err)
	return e, err
}

func (c countedStore) Put(ctx context.Context, user string, data []byte, rev int64) (int64, error) {
	r, err := c.Store.Put(ctx, user, data, rev)
	c.m.StoreError(c.name+".put", err)
	return r, err
}

func (c countedStore) Delete(ctx context.Context, user string) (int, error) {
	n, err := c.Store.Delete(ctx, user)
	c.m.StoreError(c.name+".delete", err)
	return n, err
}

// PutWithReplies forwards to the store when it keeps replies; otherwise the
// replies are dropped and it is a plain Put.
func (c countedStore) PutWithReplies(ctx context.Context, user string, data []byte, kept domain.Kept, rev int64) (int64, error) {
	rk, ok := c.Store.(domain.ReplyKeeper)
	if !ok {
		return c.Put(ctx, user, data, rev)
	}
	r, err := rk.PutWithReplies(ctx, user, data, kept, rev)
	c.m.StoreError(c.name+".put", err)
	return r, err
}

// Replies forwards to the store when it keeps replies.
func (c countedStore) Replies(ctx context.Context, user string) (domain.Kept, error) {
	rk, ok := c.Store.(domain.ReplyKeeper)
	if !ok {
		return domain.Kept{}, nil
	}
	k, err := rk.Replies(ctx, user)
	c.m.StoreError(c.name+".replies", err)
	return k, err
}

// MarkErased forwards to the store when it keeps tombstones.
func (c countedStore) MarkErased(ctx context.Context, seq int64) error {
	ts, ok := c.Store.(domain.Tombstones)
	if !ok {
		return nil
	}
	err := ts.MarkErased(ctx, seq)
	c.m.StoreError(c.name+".erased", err)
	return err
}

// Erased forwards to the store when it keeps tombstones.
func (c countedStore) Erased(ctx context.Context, seq int64) (bool, error) {
	ts, ok := c.Store.(domain.Tombstones)
	if !ok {
		return false, nil
	}
	erased, err := ts.Erased(ctx, seq)
	c.m.StoreError(c.name+".erased", err)
	return erased, err
}

// Delivered forwards to the store when it keeps replies.
func (c countedStore) Delivered(ctx context.Context, user string, seq int64) error {
	rk, ok := c.Store.(domain.ReplyKeeper)
	if !ok {
		return nil
	}
	err := rk.Delivered(ctx, user, seq)
	c.m.StoreError(c.name+".delivered", err)
	return err
}
