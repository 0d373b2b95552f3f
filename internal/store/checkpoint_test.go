package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestLogStartsOverUnderSteadyWrites: while writers never stop, the
// background checkpoint still lets SQLite start its write-ahead log over, so
// the log stays short instead of growing until a writer has to checkpoint it
// inside a commit.
func TestLogStartsOverUnderSteadyWrites(t *testing.T) {
	db := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)`, fmt.Sprintf("k%d-%d", w, i))
					return err
				})
				if err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	before, _ := db.GroupCommits()
	longest := 0
	for range 20 {
		time.Sleep(20 * time.Millisecond)
		frames, err := db.CheckpointRound(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		longest = max(longest, frames)
	}
	cancel()
	wg.Wait()
	// Every commit adds at least one frame to the log: a log that never
	// started over would be at least as long as the commits.
	after, _ := db.GroupCommits()
	t.Logf("%d commits; the log was at most %d frames long", after-before, longest)
	if longest*3 > after-before {
		t.Errorf("the log grew to %d frames over %d commits: it did not start over", longest, after-before)
	}
}
