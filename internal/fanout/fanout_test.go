package fanout

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestEach: every item runs once, with its index, and never more than n at once (each item yields while it holds its
// slot, so an unbounded fan-out overlaps them); n < 1 runs them all.
func TestEach(t *testing.T) {
	for _, n := range []int{1, 3, 0} {
		items := make([]int, 200)
		for i := range items {
			items[i] = i * 2
		}
		var running, peak atomic.Int32
		seen := make([]atomic.Int32, len(items))
		Each(items, n, func(i, item int) {
			now := running.Add(1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			for range 20 {
				runtime.Gosched()
			}
			if item != i*2 {
				t.Errorf("item %d got %d", i, item)
			}
			seen[i].Add(1)
			running.Add(-1)
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Errorf("n=%d: item %d ran %d times", n, i, c)
			}
		}
		if n > 0 && peak.Load() > int32(n) {
			t.Errorf("n=%d: %d ran at once", n, peak.Load())
		}
	}
}

// TestLimit: units sharing a limit of 2 never run more than 2 at once, across two fan-outs; All runs each function.
func TestLimit(t *testing.T) {
	l := NewLimit(2)
	var running, peak, done atomic.Int32
	unit := func() {
		l.Do(func() {
			now := running.Add(1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			for range 20 {
				runtime.Gosched()
			}
			running.Add(-1)
			done.Add(1)
		})
	}
	items := make([]struct{}, 50)
	All(func() { Each(items, 0, func(int, struct{}) { unit() }) }, func() { Each(items, 0, func(int, struct{}) { unit() }) }, nil)
	if peak.Load() > 2 || done.Load() != 100 {
		t.Errorf("peak %d, done %d", peak.Load(), done.Load())
	}
	if NewLimit(0) == nil || cap(NewLimit(0).slots) != 1 {
		t.Error("a limit of 0 must still let one through")
	}
}
