package store

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
