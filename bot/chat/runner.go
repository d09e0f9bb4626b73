// Package chat is the conversation runner every transport calls: it loads a
// person's session, runs one engine turn, carries out the turn's actions and
// saves the new state with compare-and-set, so that the console, Telegram and
// any later channel behave the same.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/internal/wait"
	"github.com/anning-bot/anning/bot/session"
	"github.com/anning-bot/anning/content"
)

// Messages the runner itself may send.
const (
	MsgBusy          = "服务暂时有点忙，这条消息没有处理。请稍等一会儿再发一次，你之前的进度都还在。"
	msgErased        = "共删除 %d 项数据。"
	msgErasedBefore  = "你的数据已经全部删除。需要时发送 /start 重新开始。"
	msgNoEvidenceYet = "（这里没有启用证据保存。请把原始截图、录音和通话记录留在手机里并备份，不要删除。）"
	msgNoDraftYet    = "（这里没有启用文书生成。可以先按上面的要点自己整理。）"
)

// maxAttempts bounds how often a turn is recomputed after a write conflict.
const maxAttempts = 10

// errUnsure marks a store failure that leaves the turn's fate unknown: a
// save that got no answer (it may have been applied before the connection
// broke), or the kept replies of an applied turn that could not be read.
var errUnsure = errors.New("chat: unsure whether the turn was applied")

// errNotApplied marks a save the store refused outright (session.ErrRefused)
// after a read that found the update not applied yet: the turn's fate is
// known, and the person is told "busy" at once, with no waiting.
var errNotApplied = errors.New("chat: the store refused the turn")

// ErrUnsettled is returned, with no replies, when the store stayed away
// while a turn's fate was unknown. "Busy, resend" would be wrong (if the turn
// was applied, the resend would count twice), so the transport sends nothing
// and leaves the update for the platform to deliver again (webhook: a non-2xx
// answer; polling: not confirmed); the session then tells what happened.
var ErrUnsettled = errors.New("chat: turn unsettled; deliver the update again")

// ActionFunc carries out one action of a turn for user, after the new state
// is saved, and returns replies to send after the engine's.
type ActionFunc func(ctx context.Context, user string, a flow.Action, st flow.State) ([]flow.Reply, error)

// Eraser deletes everything one part of the bot keeps for a user (evidence
// files, say) and reports how many items it removed.
type Eraser interface {
	Erase(ctx context.Context, user string) (int, error)
}

// Observer sees every completed turn, e.g. to count step visits in tests or
// metrics. It must not keep or log message text.
type Observer func(user string, out flow.Output)

// Runner runs turns. It is safe for concurrent use; turns of one user run
// one at a time, in the order they arrive.
type Runner struct {
	engine  *flow.Engine
	store   session.Store
	log     *slog.Logger
	actions map[string]ActionFunc
	erasers []Eraser
	notices content.Notices
	timeout time.Duration
	unsure  time.Duration
	observe Observer
	meter   Meter
	hear    func(text string, now time.Time) map[string]string
	outbox  session.Outbox // nil: replies cannot be held
	batch   session.BatchDeliverer
	locks   keyedMutex
	cache   sessionCache
	// storeFailing: the last store call of a turn failed (not a conflict);
	// turns read before they write until a write succeeds again.
	storeFailing atomic.Bool
	deliv        deliveries

	unsettledMu sync.Mutex
	unsettled   map[string]int64 // user -> update whose turn is unsettled
}

// Options configure a Runner.
type Options struct {
	Actions map[string]ActionFunc // by flow.Action kind
	Erasers []Eraser
	// Notices are the messages of content/notices.yaml (default: the
	// embedded ones).
	Notices content.Notices
	Timeout time.Duration // per store call; default 3 s
	// UnsureFor is how long a turn whose save went unanswered keeps reading
	// the session again to learn whether it landed; default 5 s.
	UnsureFor time.Duration
	Log       *slog.Logger
	Observe   Observer // optional
	Meter     Meter    // optional
	// Hear reads the facts of a typed message (platform, amount, who was
	// contacted...) as heard_* variables; optional.
	Hear func(text string, now time.Time) map[string]string
	// Outbox notes replies held back after their update was confirmed
	// (see Hold); default: the store, when it is one.
	Outbox session.Outbox
	// Batch records deliveries (see Delivered) many at a time; default: the
	// store, when it can.
	Batch session.BatchDeliverer
}

// Meter times turns for the operator's metrics (and counts active people).
type Meter interface {
	Turn(user string, d time.Duration)
	// Stale counts an update dropped because a newer one of the same person
	// was applied first (it arrived late, out of order).
	Stale()
}

// NewRunner returns a runner over the engine and store.
func NewRunner(engine *flow.Engine, store session.Store, opt Options) *Runner {
	if opt.Timeout == 0 {
		opt.Timeout = 3 * time.Second
	}
	if opt.UnsureFor == 0 {
		opt.UnsureFor = 5 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Notices == nil {
		opt.Notices = content.DefaultNotices()
	}
	if ob, ok := store.(session.Outbox); ok && opt.Outbox == nil {
		opt.Outbox = ob
	}
	if bd, ok := store.(session.BatchDeliverer); ok && opt.Batch == nil {
		opt.Batch = bd
	}
	if _, ok := store.(session.ReplyKeeper); !ok {
		opt.Outbox, opt.Batch = nil, nil // nothing to take up from, nothing to record
	}
	return &Runner{engine: engine, store: store, log: opt.Log, actions: opt.Actions,
		erasers: opt.Erasers, notices: opt.Notices, timeout: opt.Timeout, unsure: opt.UnsureFor, observe: opt.Observe, meter: opt.Meter, hear: opt.Hear,
		outbox: opt.Outbox, batch: opt.Batch, unsettled: map[string]int64{}}
}

// Handle runs one turn for user and returns the replies to send. When the
// session store fails, the error is returned with a reply telling the person
// to resend: nothing was changed. When the store failed in a way that leaves
// it unknown whether the turn was applied, the session is read again for up
// to UnsureFor; if the store stays away, ErrUnsettled comes with no replies.
func (r *Runner) Handle(ctx context.Context, user string, ev flow.Event) ([]flow.Reply, error) {
	start := time.Now()
	if r.meter != nil {
		defer func() { r.meter.Turn(user, time.Since(start)) }()
	}
	unlock := r.locks.lock(user)
	defer unlock()
	if r.hear != nil && ev.Kind == flow.EventText && !strings.HasPrefix(strings.TrimSpace(ev.Text), "/") {
		ev.Heard = r.hear(ev.Text, r.engine.Now())
	}
	var unsureSince time.Time
	if ev.Seq != 0 && r.isUnsettled(user, ev.Seq) {
		unsureSince = time.Now() // its first delivery left it unknown: still so until the store answers
	}
	for attempt := 1; ; attempt++ {
		replies, err := r.try(ctx, user, ev)
		if errors.Is(err, errStale) {
			attempt-- // not a collision to back off from: it reads this time
			continue
		}
		if errors.Is(err, session.ErrConflict) && attempt < maxAttempts {
			// Another process wrote first: wait a random moment so the two
			// stop colliding, then recompute from its state.
			if backoff(ctx, attempt) == nil {
				continue
			}
		}
		if errors.Is(err, errUnsure) && ev.Seq != 0 && unsureSince.IsZero() {
			unsureSince = time.Now()
		}
		if err == nil || unsureSince.IsZero() || errors.Is(err, errNewerSchema) || errors.Is(err, errNotApplied) {
			if ev.Seq != 0 {
				r.settle(user)
			}
			if err != nil {
				return busy(), err
			}
			return replies, nil
		}
		// Read the session again until the store answers: its LastSeq tells
		// whether this update was applied (then its kept replies are sent)
		// or not (then it is applied now).
		if time.Since(unsureSince) >= r.unsure || wait.Sleep(ctx, min(20*time.Millisecond<<min(attempt, 6), time.Second)) != nil {
			r.unsettledMu.Lock()
			r.unsettled[user] = ev.Seq
			r.unsettledMu.Unlock()
			return nil, fmt.Errorf("%w: %w", ErrUnsettled, err)
		}
	}
}

func (r *Runner) isUnsettled(user string, seq int64) bool {
	r.unsettledMu.Lock()
	defer r.unsettledMu.Unlock()
	return r.unsettled[user] == seq
}

// settle forgets the person's unsettled update once one of their turns has
// an outcome: either it was that update, or a newer one was applied and a
// late redelivery of the old one is recognised as such (LastSeq).
func (r *Runner) settle(user string) {
	r.unsettledMu.Lock()
	delete(r.unsettled, user)
	r.unsettledMu.Unlock()
}

// backoff sleeps a random time below 2^attempt ms (at most 64 ms).
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(1<<min(attempt, 6)) * time.Millisecond
	return wait.Sleep(ctx, rand.N(limit)+time.Millisecond/10)
}

// redeliveryWindow: Telegram keeps undelivered updates for 24 hours, and
// after a week without updates it may restart update ids at a random lower
// value; an id at or below the last one is a redelivery only within this window.
const redeliveryWindow = 48 * time.Hour

func (r *Runner) redelivered(st flow.State, ev flow.Event) bool {
	if ev.Seq == 0 || ev.Seq > st.LastSeq {
		return false
	}
	// Updated was stamped by the engine's clock: measure against the same one.
	return r.engine.Now().Sub(time.Unix(st.Updated, 0)) < redeliveryWindow
}

// erasedBy tells a redelivery of the update that erased everything (its
// answer never reached the platform) from a first message: without a
// session, it would greet the person afresh and store a new session.
func (r *Runner) erasedBy(ctx context.Context, entry session.Entry, seq int64) (bool, error) {
	ts, ok := r.store.(session.Tombstones)
	if !ok || entry.Rev != 0 || seq == 0 {
		return false, nil
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	erased, err := ts.Erased(callCtx, seq)
	if err != nil {
		return false, fmt.Errorf("chat: check erasure: %w", err)
	}
	return erased, nil
}

func busy() []flow.Reply { return []flow.Reply{{Kind: flow.ReplyNotice, Text: MsgBusy}} }

// errStale means a turn that skipped its read found the session changed by
// someone else: it runs again at once, reading it.
var errStale = errors.New("chat: the session kept by this process was stale")

// try runs one attempt of a turn. When this process holds the session it
// last wrote for user (and the store can write over it unread), the read is
// skipped: the write then applies only if nobody wrote since, else errStale.
func (r *Runner) try(ctx context.Context, user string, ev flow.Event) (replies []flow.Reply, err error) {
	entry, unread := r.cache.latest(user)
	if _, ok := r.store.(session.Overwriter); !ok || r.storeFailing.Load() {
		// While the store fails, a turn reads first: a failed read is
		// answered "busy" at once, where a failed write leaves the person
		// waiting to learn whether it landed.
		unread = false
	}
	defer func() {
		if err == nil {
			return
		}
		r.cache.drop(user) // whatever happened, the next attempt reads
		switch {
		case unread && errors.Is(err, session.ErrConflict):
			err = errStale
		case !errors.Is(err, session.ErrConflict) && !errors.Is(err, errNewerSchema):
			r.storeFailing.Store(true)
		}
	}()
	if !unread {
		callCtx, cancel := context.WithTimeout(ctx, r.timeout)
		entry, err = r.store.Get(callCtx, user)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("chat: load session: %w", err)
		}
		if erased, err := r.erasedBy(ctx, entry, ev.Seq); err != nil {
			return nil, err
		} else if erased {
			return []flow.Reply{{Kind: flow.ReplyNotice, Text: msgErasedBefore}}, nil // its own answer may have been lost
		}
	}
	st, decoded := r.cache.decoded(user, entry)
	if !decoded {
		st, err = Decode(entry.Data)
		switch {
		case errors.Is(err, errNewerSchema):
			// Written by a newer version of the bot (a rolling deploy): never
			// overwrite it; the person is asked to resend.
			return nil, err
		case err != nil:
			r.log.Warn("session unreadable, starting afresh", "user", user, "err", err)
			st = flow.State{}
		}
	}
	if st.Erasing {
		// A /delete did not finish: whatever came, it finishes first.
		replies, err := r.finishErasure(ctx, user, ev.Seq)
		if err != nil {
			r.log.Warn("erasure still unfinished", "user", user, "err", err)
			return []flow.Reply{{Kind: flow.ReplyNotice, Text: r.notices.Get("erase_unfinished")}}, nil
		}
		return append(replies, flow.Reply{Kind: flow.ReplyNotice, Text: r.notices.Get("erase_finished")}), nil
	}
	if r.redelivered(st, ev) {
		if unread {
			// Decided on the session as this process last wrote it, and
			// nothing is written to find out whether that is still so.
			return nil, session.ErrConflict
		}
		// The platform sent an update this session already applied (a retry
		// after a crash, a timeout or a shutdown). Applying it again would
		// answer twice; its replies may have been lost, so they are sent
		// again from the copy kept with the session, or, without one, the
		// current question is shown again. Nothing changes.
		if ev.Seq != st.LastSeq {
			// Older than the last one: its reply was followed by others.
			// Counted and logged (ids only), so an operator sees updates
			// arriving out of order (replicas racing, a proxy reordering).
			if r.meter != nil {
				r.meter.Stale()
			}
			r.log.Info("stale update dropped: a newer one was applied first", "user", user, "seq", ev.Seq, "last_seq", st.LastSeq)
			return nil, nil
		}
		replies, ok, err := r.replay(ctx, user, ev.Seq, st)
		if err != nil {
			// Applied, but what it answered cannot be read now: neither
			// the question again nor "busy" would be right.
			return nil, fmt.Errorf("chat: read kept replies: %w: %w", errUnsure, err)
		}
		if ok {
			r.log.Info("redelivered update: its replies sent again", "user", user, "seq", ev.Seq, "replies", len(replies))
			return replies, nil
		}
		r.log.Info("redelivered update: current question shown again", "user", user, "seq", ev.Seq)
		return r.engine.Handle(st, flow.Event{Kind: flow.EventResend}).Replies, nil
	}
	out := r.engine.Handle(st, ev)
	if ev.Seq != 0 {
		// Not max(): after a week of silence Telegram may restart its ids
		// lower, and the new ones must not look like old redeliveries.
		out.State.LastSeq = ev.Seq
	}
	for _, a := range out.Actions {
		if a.Kind == flow.DoErase {
			return r.erase(ctx, user, ev.Seq, entry.Rev, out.Replies)
		}
	}
	data, err := Encode(out.State)
	if err != nil {
		return nil, err
	}
	keep, err := keepOf(ev.Seq, out)
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	rev, err := r.save(callCtx, user, data, keep, entry, unread)
	cancel()
	if errors.Is(err, session.ErrConflict) {
		return nil, err
	}
	if errors.Is(err, session.ErrRefused) {
		return nil, fmt.Errorf("chat: save session: %w: %w", errNotApplied, err)
	}
	if err != nil {
		return nil, fmt.Errorf("chat: save session: %w: %w", errUnsure, err)
	}
	r.cache.put(user, session.Entry{Data: data, Rev: rev}, out.State)
	r.storeFailing.Store(false)
	r.deliv.superseded(user) // the write replaced the replies kept before
	if r.observe != nil {
		r.observe(user, out)
	}
	return r.runActions(ctx, user, out.Actions, out.State, out.Replies), nil
}

// runActions carries out a turn's actions and adds their replies. A failed
// action is logged; its replies (usually a notice) still go out.
func (r *Runner) runActions(ctx context.Context, user string, actions []flow.Action, st flow.State, replies []flow.Reply) []flow.Reply {
	if len(actions) == 0 {
		return replies
	}
	// Each action's replies go where the engine placed them (after the
	// text of the step that asked for it), else at the end.
	at := make([][]flow.Reply, len(replies)+1)
	for _, a := range actions {
		more, err := r.act(ctx, user, a, st)
		if err != nil {
			r.log.Error("action failed", "user", user, "action", a.Kind, "err", err)
		}
		i := len(replies)
		if a.Before > 0 && a.Before-1 < len(replies) {
			i = a.Before - 1
		}
		at[i] = append(at[i], more...)
	}
	out := make([]flow.Reply, 0, len(replies)+len(actions))
	for i, rep := range replies {
		out = append(out, at[i]...)
		out = append(out, rep)
	}
	return append(out, at[len(replies)]...)
}

// kept is what a turn leaves beside the session for a redelivery of its
// update: the engine's replies, and the actions to run again (they are
// idempotent: evidence already kept is recognised, drafts are rebuilt).
type kept struct {
	Replies []flow.Reply  `json:"r,omitempty"`
	Actions []flow.Action `json:"a,omitempty"`
}

// keepOf encodes what the turn for update seq leaves for a redelivery; an
// update without a platform id cannot come again and leaves nothing.
func keepOf(seq int64, out flow.Output) (session.Kept, error) {
	if seq == 0 {
		return session.Kept{}, nil
	}
	data, err := json.Marshal(kept{Replies: out.Replies, Actions: out.Actions})
	if err != nil {
		return session.Kept{}, fmt.Errorf("chat: encode replies: %w", err)
	}
	return session.Kept{Seq: seq, Replies: data}, nil
}

// save writes the new state over prev, with what the turn leaves for a
// redelivery when the store keeps it, and returns the new revision; unread:
// prev is what this process last wrote, not read again this turn.
func (r *Runner) save(ctx context.Context, user string, data []byte, keep session.Kept, prev session.Entry, unread bool) (int64, error) {
	if ow, ok := r.store.(session.Overwriter); ok && unread {
		return ow.PutOver(ctx, user, data, keep, prev)
	}
	if rk, ok := r.store.(session.ReplyKeeper); ok && keep.Seq != 0 {
		return rk.PutWithReplies(ctx, user, data, keep, prev.Rev)
	}
	return r.store.Put(ctx, user, data, prev.Rev)
}

// replay returns the replies of the turn that applied update seq, from the
// copy kept with the session, running its actions again: ok is false when
// nothing is kept for it. Replies that were delivered are not sent again.
func (r *Runner) replay(ctx context.Context, user string, seq int64, st flow.State) ([]flow.Reply, bool, error) {
	rk, ok := r.store.(session.ReplyKeeper)
	if !ok {
		return nil, false, nil
	}
	if r.deliv.known(user, seq) {
		return nil, true, nil // delivered by this process: the person has them
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	k, err := rk.Replies(callCtx, user)
	cancel()
	if err != nil {
		return nil, false, err
	}
	if k.Seq != seq {
		return nil, false, nil
	}
	if k.Replies == nil {
		return nil, true, nil // delivered: the person has them
	}
	var turn kept
	if err := json.Unmarshal(k.Replies, &turn); err != nil {
		return nil, false, nil
	}
	return r.runActions(ctx, user, turn.Actions, st, turn.Replies), true, nil
}

// Delivered records that the replies to update seq reached the person, so
// a redelivery of it (the platform never learnt it was handled) sends
// nothing twice. Transports call it after the replies went out. It costs
// no store call on the turn's path: this process remembers it at once, and
// the store is told within deliveredEvery, many people at a time, unless
// the person's next turn replaced the kept replies first. (A redelivery
// reaching another process, or this one restarted, within that time sends
// the replies once more.)
func (r *Runner) Delivered(ctx context.Context, user string, seq int64) {
	if _, ok := r.store.(session.ReplyKeeper); !ok || seq == 0 {
		return
	}
	if r.deliv.add(user, seq) {
		time.AfterFunc(deliveredEvery, func() { r.Flush(context.Background()) })
	}
}

// deliveredEvery is how long a delivery waits to be recorded in the store.
const deliveredEvery = 2 * time.Second

// Flush records the deliveries not yet in the store; transports call it
// when they stop.
func (r *Runner) Flush(ctx context.Context) {
	pending := r.deliv.take()
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var err error
	if r.batch != nil {
		err = r.batch.DeliveredAll(ctx, pending)
	} else if rk, ok := r.store.(session.ReplyKeeper); ok {
		for _, d := range pending {
			err = errors.Join(err, rk.Delivered(ctx, d.User, d.Seq))
		}
	}
	if err != nil {
		// Harmless: a redelivery would send the replies once more.
		r.log.Warn("could not record replies as delivered", "people", len(pending), "err", err)
	}
}

// deliveries are the replies this process delivered: the last update of
// each recent person, and those not yet recorded in the store.
type deliveries struct {
	mu        sync.Mutex
	done      map[string]int64 // user -> the last update whose replies went out
	pending   map[string]int64 // of those, not yet recorded in the store
	scheduled bool             // a flush is due
}

// add notes a delivery; it reports whether a flush must be scheduled.
func (d *deliveries) add(user string, seq int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == nil || len(d.done) >= maxRemembered {
		d.done = map[string]int64{}
	}
	if d.pending == nil {
		d.pending = map[string]int64{}
	}
	d.done[user], d.pending[user] = seq, seq
	first := !d.scheduled
	d.scheduled = true
	return first
}

// maxRemembered bounds the people whose last delivery is remembered;
// forgetting only costs a store read on a redelivery.
const maxRemembered = 100_000

// known reports whether this process delivered the replies to update seq.
func (d *deliveries) known(user string, seq int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done[user] == seq
}

// superseded drops a delivery not yet recorded: the person's newer turn
// replaced the replies it was about.
func (d *deliveries) superseded(user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.pending, user)
}

// take returns the deliveries to record and clears them.
func (d *deliveries) take() []session.Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.scheduled = false
	out := make([]session.Delivery, 0, len(d.pending))
	for user, seq := range d.pending {
		out = append(out, session.Delivery{User: user, Seq: seq})
	}
	clear(d.pending)
	return out
}

// sessionCache keeps, for each recent person, the session as this process
// last wrote it, decoded: when the session read at the start of a turn is
// still exactly that (same revision, same bytes), it is not decoded again.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedEntry
}

type cachedEntry struct {
	entry session.Entry
	state flow.State // entry.Data decoded; read only (the engine works on a copy)
	used  time.Time
}

const (
	cacheSize = 10_000           // people; ~1-2 KB each
	cacheIdle = 15 * time.Minute // a copy unused this long is dropped when room is needed
)

// latest returns the session this process last wrote for user.
func (c *sessionCache) latest(user string) (session.Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.entries[user]
	return k.entry, ok
}

// decoded returns the decoded state when e is what was kept for user.
func (c *sessionCache) decoded(user string, e session.Entry) (flow.State, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.entries[user]
	if !ok || k.entry.Rev != e.Rev || !bytes.Equal(k.entry.Data, e.Data) {
		return flow.State{}, false
	}
	return k.state, true
}

func (c *sessionCache) put(user string, e session.Entry, st flow.State) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedEntry{}
	}
	if _, ok := c.entries[user]; !ok && len(c.entries) >= cacheSize {
		n := 0
		for u, old := range c.entries { // idle ones, else any eighth (map order is random)
			if now.Sub(old.used) > cacheIdle || n < cacheSize/8 {
				delete(c.entries, u)
				n++
			}
		}
	}
	c.entries[user] = cachedEntry{entry: e, state: st, used: now}
}

func (c *sessionCache) drop(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, user)
}

// Hold notes that the replies of user's last turn wait to go out (the
// platform asked to wait) while its update is confirmed to the platform,
// which will not deliver it again: if they have not gone out (Release) by
// due, Due gives the person to whoever looks, to send them (Undelivered).
// It fails when the runner cannot hold replies; the update must then stay
// unconfirmed until they went out.
func (r *Runner) Hold(ctx context.Context, user string, due time.Time) error {
	if r.outbox == nil {
		return errors.New("chat: no outbox to hold replies in")
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.outbox.Hold(callCtx, user, due)
}

// Release forgets that user's replies were held: they went out.
func (r *Runner) Release(ctx context.Context, user string) {
	if r.outbox == nil {
		return
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.outbox.Release(callCtx, user); err != nil {
		// Harmless: whoever takes the person up finds the replies delivered.
		r.log.Warn("could not release held replies", "user", user, "err", err)
	}
}

// heldLease is how long a person taken up by Due is not given to anyone else.
const heldLease = time.Minute

// Due returns up to n people whose held replies are due by `by` (the
// process that held them stopped, or could not deliver them), and gives
// them to nobody else for a while.
func (r *Runner) Due(ctx context.Context, by time.Time, n int) ([]string, error) {
	if r.outbox == nil {
		return nil, nil
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.outbox.Due(callCtx, by, heldLease, n)
}

// Undelivered returns the replies of user's last turn when they are kept
// and were not delivered, with the update they answered (for Delivered),
// running the turn's actions again; none when they went out.
func (r *Runner) Undelivered(ctx context.Context, user string) ([]flow.Reply, int64, error) {
	unlock := r.locks.lock(user)
	defer unlock()
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	entry, err := r.store.Get(callCtx, user)
	cancel()
	if err != nil {
		return nil, 0, fmt.Errorf("chat: load session: %w", err)
	}
	st, err := Decode(entry.Data)
	if err != nil || st.LastSeq == 0 {
		return nil, 0, nil
	}
	replies, ok, err := r.replay(ctx, user, st.LastSeq, st)
	if err != nil {
		return nil, 0, fmt.Errorf("chat: read kept replies: %w", err)
	}
	if !ok {
		return nil, 0, nil
	}
	return replies, st.LastSeq, nil
}

func (r *Runner) act(ctx context.Context, user string, a flow.Action, st flow.State) ([]flow.Reply, error) {
	if fn, ok := r.actions[a.Kind]; ok {
		return fn(ctx, user, a, st)
	}
	switch a.Kind {
	case flow.DoEvidence, flow.DoEvidenceAdd:
		return []flow.Reply{{Kind: flow.ReplyNotice, Text: msgNoEvidenceYet}}, nil
	case flow.DoDraft:
		return []flow.Reply{{Kind: flow.ReplyNotice, Text: msgNoDraftYet}}, nil
	}
	return nil, fmt.Errorf("chat: no handler for action %q", a.Kind)
}

// erase removes the session and everything the erasers keep, then reports
// the count. It is all-or-nothing from the person's view and resumable: a
// marker replaces the session first (its answers are gone at once); then
// each eraser runs (evidence erases its ledger before its files, so no list
// ever points at missing files); the session goes last. If the marker
// cannot be written nothing changed and /delete can be retried; if a later
// step fails, the person is told the erasure is unfinished, and it is
// finished on their next message, whatever it is.
func (r *Runner) erase(ctx context.Context, user string, seq, rev int64, replies []flow.Reply) ([]flow.Reply, error) {
	marker, err := Encode(flow.State{Erasing: true, LastSeq: seq, Updated: r.engine.Now().Unix()})
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	_, err = r.store.Put(callCtx, user, marker, rev)
	cancel()
	r.cache.drop(user)
	if errors.Is(err, session.ErrConflict) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("chat: erase: mark: %w: %w", errUnsure, err)
	}
	more, err := r.finishErasure(ctx, user, seq)
	if err != nil {
		r.log.Warn("erasure unfinished; it resumes with the person's next message", "user", user, "err", err)
		return []flow.Reply{{Kind: flow.ReplyNotice, Text: r.notices.Get("erase_unfinished")}}, nil
	}
	return append(replies, more...), nil
}

// finishErasure runs every eraser and then deletes the session (with its
// marker); each step may be run again.
func (r *Runner) finishErasure(ctx context.Context, user string, seq int64) ([]flow.Reply, error) {
	total := 0
	for _, e := range r.erasers {
		n, err := e.Erase(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("chat: erase: %w", err)
		}
		total += n
	}
	r.cache.drop(user)
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	n, err := r.store.Delete(callCtx, user)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("chat: erase session: %w", err)
	}
	total += n
	if ts, ok := r.store.(session.Tombstones); ok && seq != 0 {
		callCtx, cancel := context.WithTimeout(ctx, r.timeout)
		if err := ts.MarkErased(callCtx, seq); err != nil {
			r.log.Warn("erasure not remembered; a redelivery of it would greet the person afresh", "user", user, "err", err)
		}
		cancel()
	}
	r.log.Info("user data erased", "user", user, "items", total)
	return []flow.Reply{{Kind: flow.ReplyNotice, Text: fmt.Sprintf(msgErased, total)}}, nil
}

var errNewerSchema = errors.New("chat: session written by a newer version of the bot")

// Encode turns a state into the bytes kept by the session store.
func Encode(st flow.State) ([]byte, error) {
	st.Schema = flow.SchemaVersion
	data, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("chat: encode session: %w", err)
	}
	return data, nil
}

// Decode reads stored bytes; empty data is a new session.
func Decode(data []byte) (flow.State, error) {
	var st flow.State
	if len(data) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return flow.State{}, fmt.Errorf("chat: decode session: %w", err)
	}
	if st.Schema > flow.SchemaVersion {
		return flow.State{}, fmt.Errorf("%w: %d > %d", errNewerSchema, st.Schema, flow.SchemaVersion)
	}
	return st, nil
}

// keyedMutex serializes work per key, first come first served, and forgets
// keys nobody holds. (A plain sync.Mutex per key would not keep arrival order.)
type keyedMutex struct {
	mu    sync.Mutex
	queue map[string]*keyQueue
}

type keyQueue struct {
	waiting []chan struct{} // the holder first; each waiter is woken in turn
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.queue == nil {
		k.queue = map[string]*keyQueue{}
	}
	q := k.queue[key]
	if q == nil {
		q = &keyQueue{}
		k.queue[key] = q
	}
	turn := make(chan struct{})
	q.waiting = append(q.waiting, turn)
	first := len(q.waiting) == 1
	k.mu.Unlock()
	if !first {
		<-turn
	}
	return func() {
		k.mu.Lock()
		q.waiting = q.waiting[1:]
		if len(q.waiting) == 0 {
			delete(k.queue, key)
		} else {
			close(q.waiting[0])
		}
		k.mu.Unlock()
	}
}
