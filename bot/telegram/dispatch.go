package telegram

import (
	"context"
	"sync"
)

// dispatcher runs jobs: each chat's strictly in order, different chats in
// parallel, at most `workers` of them working at once. A job that must wait
// (Telegram's flood control, a chat's pace, a retry's back-off) gives its
// worker back while it waits, so the other chats keep flowing, and takes
// one again to go on; the chat's later jobs wait behind it.
type dispatcher struct {
	ctx   context.Context // ends the work: jobs not started are settled as not handled
	slots chan struct{}
	run   func(context.Context, *job) bool

	mu    sync.Mutex
	chats map[int64]*chatQueue
}

type chatQueue struct {
	pending []*job
}

// job is one update to handle (or, with resend set, held replies of a chat
// to take up again).
type job struct {
	in     incoming
	resend bool

	settled  chan struct{} // closed once the update may be confirmed to Telegram, or must come again
	handled  bool          // set before settled closes
	once     sync.Once
	onSettle func(handled bool)

	// A webhook job may fold one Bot API call whose result is not needed
	// into the webhook's answer (Telegram runs it), saving a request.
	webhook  bool
	answerMu sync.Mutex
	answered bool              // the webhook's answer is decided: too late to fold
	answer   map[string]string // the folded call's parameters, "method" among them

	slot *slot
}

func newJob(in incoming) *job { return &job{in: in, settled: make(chan struct{})} }

// settle records the outcome of the job's update, once: the first word
// counts (a parked update is settled before its replies went out).
func (j *job) settle(handled bool) {
	j.once.Do(func() {
		j.answerMu.Lock()
		j.answered = true
		j.answerMu.Unlock()
		j.handled = handled
		if j.onSettle != nil {
			j.onSettle(handled)
		}
		close(j.settled)
	})
}

// fold makes the call the webhook's answer, if the job came by webhook,
// is not settled yet and folded nothing before; false: make it yourself.
func (j *job) fold(method string, p map[string]string) bool {
	if !j.webhook {
		return false
	}
	j.answerMu.Lock()
	defer j.answerMu.Unlock()
	if j.answered || j.answer != nil {
		return false
	}
	j.answer = make(map[string]string, len(p)+1)
	for k, v := range p {
		j.answer[k] = v
	}
	j.answer["method"] = method
	return true
}

// folded returns the call folded into the webhook's answer, or nil.
func (j *job) folded() map[string]string {
	j.answerMu.Lock()
	defer j.answerMu.Unlock()
	return j.answer
}

// slot is a worker held by a chat's jobs.
type slot struct {
	d    *dispatcher
	held bool
}

func (s *slot) acquire(ctx context.Context) error {
	if s.held {
		return nil
	}
	select {
	case s.d.slots <- struct{}{}:
		s.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slot) release() {
	if s.held {
		<-s.d.slots
		s.held = false
	}
}

func newDispatcher(ctx context.Context, workers int, run func(context.Context, *job) bool) *dispatcher {
	return &dispatcher{ctx: ctx, slots: make(chan struct{}, workers), run: run, chats: map[int64]*chatQueue{}}
}

// submit queues a job behind its chat's earlier ones; it never blocks.
func (d *dispatcher) submit(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	chatID := j.in.ChatID
	if q := d.chats[chatID]; q != nil {
		q.pending = append(q.pending, j) // its chat's goroutine will get to it
		return
	}
	q := &chatQueue{pending: []*job{j}}
	d.chats[chatID] = q
	go d.work(chatID, q)
}

func (d *dispatcher) work(chatID int64, q *chatQueue) {
	s := &slot{d: d}
	defer s.release()
	for {
		d.mu.Lock()
		if len(q.pending) == 0 {
			delete(d.chats, chatID)
			d.mu.Unlock()
			return
		}
		j := q.pending[0]
		q.pending = q.pending[1:]
		d.mu.Unlock()
		if s.acquire(d.ctx) != nil {
			j.settle(false) // shutting down: Telegram sends it again
			continue
		}
		j.slot = s
		j.settle(d.run(d.ctx, j))
	}
}
