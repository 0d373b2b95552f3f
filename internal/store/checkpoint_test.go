package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestLogStartsOverUnderSteadyWrites: while writers never stop, the
// background checkpoint still lets SQLite start its write-ahead log over, so
// the log stays short instead of growing until a writer has to checkpoint it
// inside a commit. It asserts the mechanism, not a rate: SQLite increments
// the checkpoint sequence number in the log's header each time it starts the
// log over, so after each round (whose last step runs on the writer between
// two transactions) and a few more commits, the number must have moved.
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
	defer func() {
		cancel()
		wg.Wait()
	}()
	waitCommits := func(n int) {
		t.Helper()
		start, _ := db.GroupCommits()
		// A bound on a hang, not a speed: any machine commits a few times
		// in a minute.
		deadline := time.Now().Add(time.Minute)
		for {
			now, _ := db.GroupCommits()
			if now-start >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the writers committed %d times in a minute", now-start)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitCommits(2)
	previous := walSequence(t, db.DSN)
	for round := range 3 {
		_, err := db.CheckpointRound(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// The first transaction after the round starts the log over; the
		// header is rewritten with the first frame after that.
		waitCommits(2)
		seq := walSequence(t, db.DSN)
		if seq <= previous {
			t.Fatalf("round %d: the log's checkpoint sequence stayed at %d: SQLite did not start the log over", round, seq)
		}
		previous = seq
	}
}

// walSequence reads the checkpoint sequence number from the header of the
// database's write-ahead log (bytes 12-15, big-endian).
func walSequence(t *testing.T, path string) uint32 {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var header [16]byte
	if _, err := f.ReadAt(header[:], 0); err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint32(header[12:16])
}
