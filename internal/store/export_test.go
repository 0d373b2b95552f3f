package store

import "context"

// LoadMigrations exposes loadMigrations to the tests.
var LoadMigrations = loadMigrations

// GroupCommits returns how many shared transactions a SQLite database has
// committed, and false on PostgreSQL. Call it when no write is running.
func (db *DB) GroupCommits() (int, bool) {
	if db.group == nil {
		return 0, false
	}
	db.group.turn <- struct{}{}
	defer func() { <-db.group.turn }()
	return db.group.commits, true
}

// CheckpointRound runs one round of the SQLite checkpointer and returns the
// log's length after it, in frames.
func (db *DB) CheckpointRound(ctx context.Context) (int, error) {
	err := db.ckpt.checkpoint(ctx)
	db.ckpt.mu.Lock()
	defer db.ckpt.mu.Unlock()
	return db.ckpt.last, err
}
