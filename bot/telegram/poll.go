package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/internal/wait"
)

// poll is the getUpdates loop. An update is confirmed to Telegram only once
// handled: the offset never moves past an update still being handled, or
// whose handling failed for a reason that may pass. The updates behind such
// a one are fetched and handled all the same (Telegram sends the
// unconfirmed ones again with every answer, and those already in hand or
// handled are skipped), so one chat stuck behind a long flood-control wait
// does not hold the others back; only once a whole answer (100 updates)
// piles up behind it does fetching wait for it. A turn whose replies must
// wait for a flood wait is saved and its replies held (holder), so its
// update is confirmed at once.
func (b *Bot) poll(ctx context.Context) error {
	p := tgbotapi.Params{}
	p.AddBool("drop_pending_updates", false)
	if err := b.c.call(ctx, "deleteWebhook", p, 0, nil); err != nil {
		return fmt.Errorf("telegram: leave webhook mode: %w", err)
	}
	work, stopWork := b.drainContext(ctx)
	defer stopWork()
	w := newWindow()
	d := newDispatcher(work, b.cfg.Workers, b.run)
	if b.holder != nil {
		// Replies a stopped process held go first, before any update of
		// their chat (whose turn would replace their kept copy): all of
		// them, due or not. (A process stopping now, and still sending
		// what it held, may then send those twice; none is lost.)
		for {
			n := b.takeUp(ctx, d, time.Now().Add(24*time.Hour))
			if n < 100 || ctx.Err() != nil {
				break
			}
		}
		go b.takeUpHeld(ctx, d)
	}
	readyOnce := sync.Once{}
	failures := 0
	for ctx.Err() == nil {
		timeout := b.cfg.PollTimeout
		if w.busy() {
			timeout = 0 // the unconfirmed updates come back at once anyway
		}
		offset := w.offset()
		raws, err := b.getUpdates(ctx, offset, timeout)
		readyOnce.Do(func() { close(b.ready) })
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errorCode(err) == http.StatusUnauthorized || errorCode(err) == http.StatusNotFound {
				return fmt.Errorf("telegram: the bot token was refused: %w", err)
			}
			failures++
			delay := min(time.Duration(failures)*time.Second, 30*time.Second)
			if errorCode(err) == http.StatusConflict {
				b.log.Error("another process is polling this bot, or a webhook is set", "err", err)
				delay = 5 * time.Second
			} else {
				b.log.Warn("getUpdates failed", "err", err)
			}
			_ = wait.Sleep(ctx, delay)
			continue
		}
		failures = 0
		w.confirmed(offset)
		prev := w.offset() - 1
		fresh := 0
		for _, raw := range raws {
			id := updateIDOf(raw)
			if id == 0 {
				id = prev + 1 // ids are consecutive: an unreadable one still takes its place
			}
			prev = id
			if !w.take(id) {
				continue // in hand, or handled: Telegram sent it again because it is not confirmed yet
			}
			fresh++
			in, err := decodeUpdate(raw)
			if err != nil {
				b.log.Warn("malformed update skipped", "err", err, "bytes", len(raw), "update", id)
				w.finish(id, true)
				continue
			}
			j := newJob(in)
			j.onSettle = func(handled bool) { w.finish(id, handled) }
			d.submit(j)
		}
		switch {
		case fresh > 0:
			// Usually what was just fetched is handled within milliseconds,
			// and the next request can wait for new updates.
			w.waitIdle(ctx, 50*time.Millisecond)
		case w.busy():
			// Only updates in hand came back (one waits behind its chat's
			// flood wait, say): fetch again once one is done, or soon.
			w.waitChange(ctx, waitStraggler)
		}
	}
	// Shutdown: let the updates in hand finish (DrainTimeout at most), then
	// tell Telegram which were handled; the rest come again.
	w.waitIdle(work, 0)
	confirmCtx, cancel := context.WithTimeout(context.Background(), b.cfg.CallTimeout)
	defer cancel()
	offset := w.offset()
	if offset > 0 {
		if _, err := b.getUpdates(confirmCtx, offset, 0); err != nil {
			b.log.Warn("could not confirm handled updates; Telegram will resend them and they will be skipped", "err", err)
		}
	}
	b.log.Info("telegram polling stopped", "next_update", offset)
	return nil
}

// waitStraggler is how long the poller waits for an update in hand before
// fetching again when Telegram gave it nothing new.
const waitStraggler = 20 * time.Millisecond

// takeUpHeld sends the replies held back (see holder) whose process
// stopped, or could not deliver them, before they went out: every 30 s,
// each in its chat's order.
func (b *Bot) takeUpHeld(ctx context.Context, d *dispatcher) {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := 30 * time.Second
		if b.takeUp(ctx, d, time.Now()) == 100 {
			next = time.Second // more are due
		}
		t.Reset(next)
	}
}

// takeUp queues a resend job for up to 100 chats whose held replies are due
// by `by`, and reports how many.
func (b *Bot) takeUp(ctx context.Context, d *dispatcher, by time.Time) int {
	users, err := b.holder.Due(ctx, by, 100)
	if err != nil {
		b.log.Warn("held replies not listed", "err", err)
	}
	for _, user := range users {
		if domain.TransportOf(user) != domain.TransportTelegram {
			continue // another transport's: left to it (the lease put it back)
		}
		chatID, err := strconv.ParseInt(user, 10, 64)
		if err != nil || chatID == 0 {
			b.holder.Release(ctx, user)
			continue
		}
		b.setHeld(chatID, true)
		d.submit(&job{in: incoming{ChatID: chatID, Private: true}, resend: true, settled: make(chan struct{})})
	}
	return len(users)
}

// window tracks the updates between the confirmed offset and the newest one
// fetched: which are in hand, which were handled, which must come again.
type window struct {
	mu      sync.Mutex
	inHand  map[int64]bool
	handled map[int64]bool // handled, not yet confirmed to Telegram
	again   map[int64]bool // not handled for a reason that may pass
	newest  int64
	changed chan struct{} // poked when an update is done with
}

func newWindow() *window {
	return &window{inHand: map[int64]bool{}, handled: map[int64]bool{}, again: map[int64]bool{},
		changed: make(chan struct{}, 1)}
}

// take claims a fetched update for handling; false if it is in hand or was
// handled already.
func (w *window) take(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inHand[id] || w.handled[id] {
		return false
	}
	delete(w.again, id)
	w.inHand[id] = true
	w.newest = max(w.newest, id)
	return true
}

// finish records the outcome of an update taken.
func (w *window) finish(id int64, handled bool) {
	w.mu.Lock()
	delete(w.inHand, id)
	if handled {
		w.handled[id] = true
	} else {
		w.again[id] = true
	}
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// confirmed forgets the handled updates below an offset Telegram accepted:
// it never sends them again. (Not sooner: an answer to a request made with
// a lower offset may still carry them.)
func (w *window) confirmed(offset int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.handled {
		if id < offset {
			delete(w.handled, id)
		}
	}
}

// offset is the getUpdates offset: the oldest update in hand or to be
// handled again, else one past the newest fetched (0 before any).
func (w *window) offset() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.offsetLocked()
}

func (w *window) offsetLocked() int64 {
	var low int64
	for _, set := range []map[int64]bool{w.inHand, w.again} {
		for id := range set {
			if low == 0 || id < low {
				low = id
			}
		}
	}
	if low != 0 {
		return low
	}
	if w.newest == 0 {
		return 0
	}
	return w.newest + 1
}

// busy reports whether an update is in hand or waits to be handled again.
func (w *window) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inHand) > 0 || len(w.again) > 0
}

// waitChange waits until an update is done with, ctx ends, or limit passes.
func (w *window) waitChange(ctx context.Context, limit time.Duration) {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-w.changed:
	case <-t.C:
	case <-ctx.Done():
	}
}

// waitIdle waits until no update is in hand, ctx ends, or limit passes
// (0: no limit).
func (w *window) waitIdle(ctx context.Context, limit time.Duration) {
	var deadline <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		deadline = t.C
	}
	for {
		w.mu.Lock()
		idle := len(w.inHand) == 0
		w.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-w.changed:
		case <-deadline:
			return
		case <-ctx.Done():
			return
		}
	}
}
