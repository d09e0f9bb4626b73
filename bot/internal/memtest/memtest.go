// Package memtest measures, for tests, how far the Go heap grows while a
// piece of work runs: a bound on memory checked by measurement, not by time.
package memtest

import (
	"runtime"
	"sync"
	"time"
)

// HeapGrowth runs work and returns how many bytes of heap in use it peaked
// at above what was in use before it started (after a GC), sampled every
// 2 ms while it ran, and how many bytes it allocated in all.
func HeapGrowth(work func()) (grew int64, allocated uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	func() {
		defer func() { close(stop); wg.Wait() }() // also when work ends the test (t.Fatal)
		work()
	}()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return int64(peak) - int64(before.HeapInuse), after.TotalAlloc - before.TotalAlloc
}
