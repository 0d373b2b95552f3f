package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's write-ahead log is copied back into the database file by a
// checkpoint. Left to SQLite, the writer whose commit takes the log past
// 1,000 pages runs the checkpoint itself, inside its commit, while every
// other writer waits: at 500 intakes a second (some 20,000 pages of log a
// second at a million cases) that was a 30 ms commit every second or two,
// and the slowest one per cent of intakes waited 40-140 ms
// (docs/PERFORMANCE.md). Instead a connection of its own checkpoints in the
// background, and the writer's own checkpoint is kept only as a safety net
// far above what the background leaves.
const (
	checkpointEvery    = 200 * time.Millisecond
	writerCheckpointAt = 20000 // pages (80 MB of log)
)

// checkpointer runs checkpoints until stopped.
type checkpointer struct {
	conn  *sql.DB // its own connection
	w     *sql.DB // the writer
	group *groupCommit
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once

	mu      sync.Mutex // one round at a time
	last    int        // the log's length after the previous round, in frames
	version int64      // PRAGMA data_version on conn at the previous round

	statsMu sync.Mutex // guards stats, read by DB.LogStats
	stats   LogStats
}

func startCheckpointer(conn, w *sql.DB, group *groupCommit) *checkpointer {
	c := &checkpointer{conn: conn, w: w, group: group, stop: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				// Errors are transient here (a busy database); the next round
				// tries again and the writer's own checkpoint bounds the log.
				err := c.checkpoint(context.Background())
				c.statsMu.Lock()
				if err != nil {
					c.stats.Errors++
				}
				c.statsMu.Unlock()
			}
		}
	}()
	return c
}

// checkpoint copies the log into the database in two steps. The bulk is
// copied on the checkpointer's own connection while writers go on (PASSIVE:
// it neither waits for nor stops them), twice, the second pass taking what
// was committed during the first. That alone would let the log grow for
// ever: SQLite starts the log over only when a write transaction begins with
// every frame copied, and under steady writes the writer has always committed
// more by then. So the last few frames are copied on the writer's connection
// between two of its transactions (about a millisecond), and the next
// transaction starts the log over.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	passive := func(db *sql.DB) (frames int, err error) {
		var busy, copied int
		err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		return frames, err
	}
	// data_version moves whenever another connection commits: unchanged,
	// nothing was written since the last round. (The log's length is no such
	// sign: once started over, it can grow back to the same length.)
	var version int64
	if err := c.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return err
	}
	if version == c.version {
		return nil
	}
	c.version = version
	frames, err := passive(c.conn)
	if err == nil && frames <= 0 { // the log was started over
		c.statsMu.Lock()
		c.stats.Frames = 0
		c.statsMu.Unlock()
	}
	if err != nil || frames <= 0 {
		return err
	}
	if _, err := passive(c.conn); err != nil {
		return err
	}
	return c.group.between(func() error {
		frames, err := passive(c.w)
		c.last = frames
		if err == nil {
			c.statsMu.Lock()
			c.stats.Frames, c.stats.Checkpoints = frames, c.stats.Checkpoints+1
			c.statsMu.Unlock()
		}
		return err
	})
}

func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stop)
		c.done.Wait()
		c.conn.Close()
	})
}
