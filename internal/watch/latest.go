package watch

import "sync"

// Latest hands values to a slow consumer (recording the current state in a history store) without ever making the
// producer wait: Put returns at once, a value put while the consumer is busy replaces the one still waiting (only the
// newest state is worth recording), and Flush waits until the newest value put has been consumed. A store busy with
// another writer held up the next event for up to a minute per change when the record was made in line.
type Latest[T any] struct {
	fn      func(T)
	mu      sync.Mutex
	idle    *sync.Cond
	pending *T
	busy    bool
}

// NewLatest returns a Latest that consumes with fn, one value at a time, in its own goroutine.
func NewLatest[T any](fn func(T)) *Latest[T] {
	l := &Latest[T]{fn: fn}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// Put queues v, replacing a value not yet consumed, and returns at once.
func (l *Latest[T]) Put(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = &v
	if !l.busy {
		l.busy = true
		go l.run()
	}
}

func (l *Latest[T]) run() {
	for {
		l.mu.Lock()
		p := l.pending
		l.pending = nil
		if p == nil {
			l.busy = false
			l.idle.Broadcast()
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		l.fn(*p)
	}
}

// Flush waits until every value put so far has been consumed or replaced by a consumed one.
func (l *Latest[T]) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.busy {
		l.idle.Wait()
	}
}
