// Package fanout is the one way trailwatch runs work at once over accounts, regions and resources (issue 22: an
// errgroup in one place, hand-made semaphores in another, WaitGroups in a third). Each runs a function over items with
// at most n at once, starting a goroutine only when a slot is free; All runs a few different functions at once; a Limit
// bounds the calls every fan-out of one account makes together (collect's per-account concurrency), so that nested
// fan-outs share one budget. None stops on a failure: each item records its own result or error (a failure in one
// account, region or trail never aborts the rest).
package fanout

import (
	"sync"

	"golang.org/x/sync/errgroup"
)

// Each runs fn(i, items[i]) for every item, at most n at once (n < 1: all at once), and returns when all have.
// Goroutines start only when a slot is free: a fan-out over 10,000 accounts does not park 10,000 goroutines.
func Each[T any](items []T, n int, fn func(i int, item T)) {
	var g errgroup.Group
	if n > 0 {
		g.SetLimit(n)
	}
	for i, it := range items {
		g.Go(func() error {
			fn(i, it)
			return nil
		})
	}
	_ = g.Wait()
}

// All runs every fn at once and returns when all have.
func All(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		if fn != nil {
			wg.Go(fn)
		}
	}
	wg.Wait()
}

// Limit bounds how many units of work run at once across every fan-out that shares it.
type Limit struct{ slots chan struct{} }

// NewLimit returns a limit of n at once (at least 1).
func NewLimit(n int) *Limit {
	return &Limit{slots: make(chan struct{}, max(n, 1))}
}

// Acquire waits for a slot; Release gives it back.
func (l *Limit) Acquire() { l.slots <- struct{}{} }

// Release gives back a slot Acquire took.
func (l *Limit) Release() { <-l.slots }

// Do runs fn in a slot.
func (l *Limit) Do(fn func()) {
	l.Acquire()
	defer l.Release()
	fn()
}
