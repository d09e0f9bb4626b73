package telegram

import (
	"context"
	"sort"
	"sync"
)

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

// submit queues an update behind its chat's earlier ones.
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

// batch is one getUpdates answer.
type batch struct {
	d       *dispatcher
	jobs    []*job
	skipped []int64
}

func (d *dispatcher) newBatch() *batch { return &batch{d: d} }

func (b *batch) submit(in incoming) { b.jobs = append(b.jobs, b.d.submit(in)) }

// skip records an update that needs no handling (malformed).
func (b *batch) skip(id int64) { b.skipped = append(b.skipped, id) }

// wait blocks until every job is done or ctx ends, and returns the offset to
// confirm: one past the last update id before the first one not handled.
func (b *batch) wait(ctx context.Context) int64 {
	type item struct {
		id   int64
		done bool
	}
	var items []item
	for _, id := range b.skipped {
		items = append(items, item{id, true})
	}
	for _, j := range b.jobs {
		select {
		case <-j.done:
			items = append(items, item{j.in.UpdateID, j.handled})
		case <-ctx.Done():
			select {
			case <-j.done:
				items = append(items, item{j.in.UpdateID, j.handled})
			default:
				items = append(items, item{j.in.UpdateID, false})
			}
		}
	}
	sort.Slice(items, func(i, k int) bool { return items[i].id < items[k].id })
	var next int64
	for _, it := range items {
		if !it.done {
			break
		}
		next = it.id + 1
	}
	return next
}
