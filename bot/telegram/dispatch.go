package telegram

import "sync"

// dispatcher runs updates: each chat's strictly in order, different chats in
// parallel, at most `workers` chats at once. Submitting blocks while all
// workers are busy: back-pressure on the poller instead of unbounded queues.
type dispatcher struct {
	sem    chan struct{}
	handle func(incoming) bool

	mu    sync.Mutex
	chats map[int64]*chatQueue
}

type chatQueue struct {
	pending []*job
}

type job struct {
	in      incoming
	done    chan struct{}
	handled bool // set before done closes
}

func newDispatcher(workers int, handle func(incoming) bool) *dispatcher {
	return &dispatcher{sem: make(chan struct{}, workers), handle: handle, chats: map[int64]*chatQueue{}}
}

// submit queues an update behind its chat's earlier ones; the job's done
// channel closes once it was handled.
func (d *dispatcher) submit(in incoming) *job {
	j := &job{in: in, done: make(chan struct{})}
	d.mu.Lock()
	q := d.chats[in.ChatID]
	if q != nil {
		q.pending = append(q.pending, j) // its chat's worker will get to it
		d.mu.Unlock()
		return j
	}
	q = &chatQueue{pending: []*job{j}}
	d.chats[in.ChatID] = q
	d.mu.Unlock()
	d.sem <- struct{}{} // wait for a free worker
	go d.work(in.ChatID, q)
	return j
}

func (d *dispatcher) work(chatID int64, q *chatQueue) {
	defer func() { <-d.sem }()
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
		j.handled = d.handle(j.in)
		close(j.done)
	}
}
