package store

import "time"

// CommitObserver is told of every commit of a write transaction: how many
// callers' work it carried (group commit shares one commit between queued
// writers on SQLite; on PostgreSQL it is always 1), how long the COMMIT
// took and its error. It runs on the writer's path: it must be quick (count,
// never write).
type CommitObserver func(jobs int, took time.Duration, err error)

// ObserveCommits makes o the observer of the database's commits (nil stops
// observing). The program's metrics use it; store itself knows no metrics.
func (db *DB) ObserveCommits(o CommitObserver) {
	if o == nil {
		db.commitObs.Store(nil)
		return
	}
	db.commitObs.Store(&o)
}

func (db *DB) observeCommit(jobs int, took time.Duration, err error) {
	if o := db.commitObs.Load(); o != nil {
		(*o)(jobs, took, err)
	}
}

// QueryObserver is told of every read (DB.Query, DB.QueryRow) with its
// text. It runs on the reader's path: it must be quick.
type QueryObserver func(query string)

// ObserveQueries makes o the observer of the database's reads (nil stops
// observing): how many queries a page or a panel costs is a property tests
// assert (the cockpit's refresh, docs/COCKPIT.md), not a timing.
func (db *DB) ObserveQueries(o QueryObserver) {
	if o == nil {
		db.queryObs.Store(nil)
		return
	}
	db.queryObs.Store(&o)
}

func (db *DB) observeQuery(query string) {
	if o := db.queryObs.Load(); o != nil {
		(*o)(query)
	}
}

// LogStats is what the checkpointer knows of SQLite's write-ahead log.
type LogStats struct {
	// Frames is the log's length in frames (pages) at the last checkpoint
	// round: what the background checkpoints leave. It grows without bound
	// when a long reader keeps checkpoints from catching up.
	Frames int
	// Checkpoints counts the rounds that found something to copy.
	Checkpoints int64
	// Errors counts the rounds that failed.
	Errors int64
}

// LogStats returns the write-ahead log's figures; ok is false on PostgreSQL,
// which has no checkpointer of ours.
func (db *DB) LogStats() (s LogStats, ok bool) {
	if db.ckpt == nil {
		return LogStats{}, false
	}
	c := db.ckpt
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return c.stats, true
}
