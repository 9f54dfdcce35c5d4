package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws "[=====>    ] 120/1000 accounts, 2 with errors, 3.1s" on stderr when it is a terminal; elsewhere
// it stays silent.
type progress struct {
	w     io.Writer
	on    bool
	start time.Time
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, on: isTerminal(w), start: time.Now()}
}

func (p *progress) update(done, total, failed int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	fmt.Fprintf(p.w, "\r[%s] %d/%d accounts, %d with errors, %.1fs", bar, done, total, failed, time.Since(p.start).Seconds())
	p.drawn = true
}

func (p *progress) finish() {
	if p.on && p.drawn {
		fmt.Fprintln(p.w)
	}
}
