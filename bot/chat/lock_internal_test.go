package chat

import (
	"runtime"
	"sync"
	"testing"
)

// Turns of one user run in arrival order: each waits for the one before.
func TestKeyedMutexIsFirstComeFirstServed(t *testing.T) {
	var k keyedMutex
	unlock := k.lock("u")
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	const n = 50
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := k.lock("u")
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			done()
		}()
		for queued(&k, "u") != i+1 { // wait until goroutine i is in the queue
			runtime.Gosched()
		}
	}
	other := k.lock("v") // another key is not held up
	other()
	unlock()
	wg.Wait()
	for i, got := range order {
		if got != i+1 {
			t.Fatalf("order %v", order)
		}
	}
	if len(order) != n || len(k.queue) != 0 {
		t.Fatalf("%d ran, %d keys left", len(order), len(k.queue))
	}
}

func queued(k *keyedMutex, key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if q := k.queue[key]; q != nil {
		return len(q.waiting)
	}
	return 0
}
