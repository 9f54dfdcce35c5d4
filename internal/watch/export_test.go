package watch

import (
	"context"
	"encoding/json"
)

// HandleEvents runs one batch of EventBridge events through the watcher, as one ReceiveMessage batch is (tests only:
// the queue's batching is not deterministic).
func (w *Watcher) HandleEvents(ctx context.Context, payloads ...[]byte) error {
	var evs []event
	for _, p := range payloads {
		var ev event
		if err := json.Unmarshal(p, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	if w.coldStart() {
		if err := w.load(ctx); err != nil {
			return err
		}
	}
	w.handle(ctx, evs, true)
	return nil
}
