package store

import (
	"sync"
	"time"
)

// TouchGate lets one caller at a time write a row's "last used" time, at
// most once per interval per row. Without it every request that read the row
// before the first write committed wrote it too: at 500 API requests a
// second, once a minute some 25 requests queued single-row writes in front of
// the case writes, a 50 ms stall (docs/PERFORMANCE.md). The zero value is
// ready to use; each server instance has its own, which is enough, since the
// time written is only approximate anyway.
type TouchGate[K comparable] struct {
	mu   sync.Mutex
	next map[K]time.Time // per row: when it may be written again
}

// Claim reports whether the caller should write row id's time now, given
// when it was last written (stored) and that it is written at most once per
// every. A true answer holds the row off for others until every has passed.
func (g *TouchGate[K]) Claim(id K, stored, now time.Time, every time.Duration) bool {
	if now.Sub(stored) < every {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.next[id]) {
		return false
	}
	if g.next == nil {
		g.next = map[K]time.Time{}
	}
	if len(g.next) >= 10000 {
		for k, t := range g.next {
			if !now.Before(t) {
				delete(g.next, k)
			}
		}
	}
	g.next[id] = now.Add(every)
	return true
}
