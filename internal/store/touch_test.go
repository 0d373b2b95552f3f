package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/store"
)

// TestTouchGate: of many requests using one row at once, one writes its
// last-use time; nobody writes again within the interval, or when the stored
// time is recent; after it, one may.
func TestTouchGate(t *testing.T) {
	var g store.TouchGate[string]
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	old := now.Add(-2 * time.Minute)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.Claim("s1", old, now, time.Minute) {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 50 concurrent requests may write, want 1", wins.Load())
	}
	if g.Claim("s1", old, now.Add(30*time.Second), time.Minute) {
		t.Error("a second write within the minute")
	}
	if !g.Claim("s2", old, now, time.Minute) {
		t.Error("another row was held off")
	}
	if g.Claim("s3", now.Add(-10*time.Second), now, time.Minute) {
		t.Error("a write although the stored time is recent")
	}
	if !g.Claim("s1", now, now.Add(time.Minute), time.Minute) {
		t.Error("no write after the minute")
	}
}
