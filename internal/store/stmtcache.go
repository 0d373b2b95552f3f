package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps prepared statements by query text. database/sql prepares
// nothing by itself and the SQLite driver compiles every statement it is
// handed, which was about 40% of an intake's CPU (docs/PERFORMANCE.md); pgx
// caches statements per connection already, so the cache serves SQLite only.
// Queries built with varying text (IN lists, inlined tokens) would grow it
// without end, so it stops adding once full and such queries run unprepared.
type stmtCache struct {
	db  *sql.DB
	max int

	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, m: map[string]*sql.Stmt{}}
}

// cacheable reports whether query may be prepared: one statement only.
func cacheable(query string) bool {
	return !strings.Contains(strings.TrimRight(strings.TrimSpace(query), ";"), ";")
}

// lookup returns the cached statement for query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns the prepared statement for query, preparing it on a connection
// of the pool when missing, or nil when the query should run unprepared
// (several statements in one text, or the cache is full). It must not be
// called while this goroutine holds the pool's only connection in a
// transaction: transactions use lookup and prepare after they end.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil || !cacheable(query) {
		return nil
	}
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= c.max
	c.mu.Unlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	// Prepare without holding the lock: preparing waits for a connection,
	// and a transaction holding the writer connection needs the lock to
	// look its statements up.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		// Let the unprepared path report the error the usual way.
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.m[query]; ok {
		st.Close()
		return existing
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}
