package watch

import (
	"sync"
	"testing"
)

// TestLatestNeverBlocksTheProducer: while the consumer is stuck (a store busy with another writer), Put returns at
// once; values put meanwhile collapse into the newest; Flush waits for it to be consumed.
func TestLatestNeverBlocksTheProducer(t *testing.T) {
	release := make(chan struct{})
	started := make(chan int, 10)
	var mu sync.Mutex
	var got []int
	l := NewLatest(func(v int) {
		started <- v
		if v == 1 {
			<-release // the first record is stuck until released
		}
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
	})
	l.Put(1)
	if v := <-started; v != 1 {
		t.Fatalf("first consumed %d", v)
	}
	// The consumer is stuck on 1: these return at once (the test would hang here otherwise) and collapse into 4.
	l.Put(2)
	l.Put(3)
	l.Put(4)
	close(release)
	l.Flush()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Errorf("consumed %v, want [1 4]", got)
	}
}
