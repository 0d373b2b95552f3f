// Package store owns the database handle: opening SQLite or PostgreSQL, the
// numbered migrations of both dialects, write transactions, and the
// normalisation of driver errors into the few kinds the domain packages use.
//
// Queries are written once with `?` placeholders; Rebind turns them into `$n`
// for PostgreSQL. Where the dialects differ, callers keep both variants side by
// side and pick one with DB.Dialect.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Queryer is what both *sql.DB and *sql.Tx offer; read helpers take it so the
// same code runs inside and outside a transaction.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is the application's database: a writer and a reader pool. On SQLite the
// writer is a single connection whose transactions begin IMMEDIATE, so that a
// read-then-write transaction never fails with "database is locked"; readers
// use their own pool. On PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	// W runs writes and write transactions.
	W *sql.DB
	// R runs reads that need not see an uncommitted write.
	R *sql.DB
	// DSN is the data source as given to Open (a path or a postgres:// URL).
	DSN string

	// Prepared statements of the writer and the readers (SQLite only).
	wStmts, rStmts *stmtCache
	// group shares commits between queued write transactions (SQLite only).
	group *groupCommit
	// ckpt copies the write-ahead log into the database (SQLite only).
	ckpt *checkpointer
	// commitObs is told of every commit (ObserveCommits, observe.go).
	commitObs atomic.Pointer[CommitObserver]
	// queryObs is told of every read outside a transaction (ObserveQueries).
	queryObs atomic.Pointer[QueryObserver]
	// replica takes the reads that allow it (AttachReplica, replica.go).
	replica *replica
}

// IsPostgres reports whether a data source names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn (a SQLite file path or a postgres:// URL) and pings it.
// It does not migrate; call Migrate for that.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		pool, err := openPostgresPool(dsn, 0)
		if err != nil {
			return nil, err
		}
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return &DB{Dialect: Postgres, W: pool, R: pool, DSN: dsn}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	// PRAGMAs go in the DSN so that every pooled connection gets them;
	// busy_timeout comes before journal_mode so switching to WAL can wait.
	// synchronous=FULL: a commit waits for the log to reach the disk, so an
	// acknowledged write survives a power cut too (NORMAL may lose the last
	// commits); group commit (group.go) shares that wait between writers.
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	// The writer keeps more pages than the default 2 MB: an intake touches
	// some fifty pages of the cases' indexes, the search index and the
	// timeline, and at a million cases those no longer fit.
	base := "file:" + path + "?" + pragmas.Encode()
	w, err := sql.Open("sqlite", base+"&_pragma=cache_size(-65536)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointAt)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	ck, err := sql.Open("sqlite", base) // the checkpointer's own connection
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	group := newGroupCommit(w)
	db := &DB{Dialect: SQLite, W: w, R: r, DSN: dsn, wStmts: newStmtCache(w, 1000), rStmts: newStmtCache(r, 1000), group: group}
	group.observe = db.observeCommit
	db.ckpt = startCheckpointer(ck, w, group)
	return db, nil
}

// openPostgresPool opens (without connecting) a pool on a postgres:// URL,
// the primary's or a replica's; connectTimeout, when not 0, is the
// default for a URL that sets none.
func openPostgresPool(dsn string, connectTimeout time.Duration) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Just-in-time compilation costs ~100 ms per query whose estimate
	// crosses jit_above_cost, and the page queries (read newest first,
	// stop after a page) carry huge estimates they never pay: a 2 ms
	// search took 120 ms with it (docs/PERFORMANCE.md). Off unless the
	// URL asks for it (?jit=on).
	if _, ok := cfg.RuntimeParams["jit"]; !ok {
		cfg.RuntimeParams["jit"] = "off"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return pool, nil
}

// Close stops the checkpointer and the replica's checker and closes the pools.
func (db *DB) Close() error {
	db.replica.close()
	db.ckpt.close()
	db.wStmts.close()
	db.rStmts.close()
	if db.R != db.W {
		db.R.Close()
	}
	return db.W.Close()
}

// Rebind turns `?` placeholders into `$1, $2, ...` on PostgreSQL. Queries must
// not contain a literal question mark.
func (db *DB) Rebind(query string) string { return Rebind(db.Dialect, query) }

// Rebind turns `?` placeholders into the dialect's form.
func Rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Tx is a write transaction with the dialect at hand.
type Tx struct {
	*sql.Tx
	Dialect Dialect
	stmts   *stmtCache
	// missed are queries not yet in the cache; they are prepared once the
	// transaction has given its connection back (SQLite has one writer
	// connection, so preparing on the pool inside the transaction would wait
	// for ourselves).
	missed []string
	// detached: the transaction is shared with other callers (group
	// commit), so a caller's cancelled context must not interrupt a
	// statement: SQLite may answer an interrupt by rolling back the whole
	// transaction, the others' work included.
	detached bool
	// afterCommit run once the work is durable (AfterCommit).
	afterCommit []func()
}

// AfterCommit makes fn run once the transaction's work is durable, after
// InTx's commit and never if it rolls back: for figures that must count
// only what was kept (a counter of cases created). fn runs in the caller's
// goroutine before InTx returns; it must be quick and must not write.
func (tx *Tx) AfterCommit(fn func()) {
	tx.afterCommit = append(tx.afterCommit, fn)
}

// committed runs the AfterCommit functions.
func (tx *Tx) committed() {
	for _, fn := range tx.afterCommit {
		fn()
	}
	tx.afterCommit = nil
}

// ctx returns the context the transaction's statements run with.
func (tx *Tx) ctx(ctx context.Context) context.Context {
	if tx.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ExecContext, QueryContext and QueryRowContext are sql.Tx's, with the
// transaction's context rule (Tx.ctx): read helpers take a Tx as a Queryer.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(tx.ctx(ctx), query, args...)
}

func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(tx.ctx(ctx), query, args...)
}

func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(tx.ctx(ctx), query, args...)
}

// stmt returns the cached statement for query bound to this transaction, or
// nil to run the query unprepared this time.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.stmts == nil {
		return nil
	}
	if st := tx.stmts.lookup(query); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	if cacheable(query) && len(tx.missed) < 64 {
		tx.missed = append(tx.missed, query)
	}
	return nil
}

// Exec runs a `?`-placeholder statement inside the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.ctx(ctx)
	query = Rebind(tx.Dialect, query)
	if st := tx.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, Normalize(err)
	}
	res, err := tx.Tx.ExecContext(ctx, query, args...)
	return res, Normalize(err)
}

// QueryRow runs a `?`-placeholder query inside the transaction; the row's
// Scan returns normalised errors (ErrNotFound for no row).
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	ctx = tx.ctx(ctx)
	query = Rebind(tx.Dialect, query)
	if st := tx.stmt(ctx, query); st != nil {
		return &Row{st.QueryRowContext(ctx, args...)}
	}
	return &Row{tx.Tx.QueryRowContext(ctx, query, args...)}
}

// Query runs a `?`-placeholder query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.ctx(ctx)
	query = Rebind(tx.Dialect, query)
	if st := tx.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, Normalize(err)
	}
	rows, err := tx.Tx.QueryContext(ctx, query, args...)
	return rows, Normalize(err)
}

// InTx runs fn in one write transaction and commits it when fn returns nil.
// Once InTx returns nil the change is durable; on any error nothing is kept.
// On SQLite, fn's work may share its commit with other callers' (group.go):
// fn must not keep tx, nor wait for another write.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if db.group != nil {
		return db.group.do(ctx, db.wStmts, fn)
	}
	sqlTx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", Normalize(err))
	}
	tx := &Tx{Tx: sqlTx, Dialect: db.Dialect, stmts: db.wStmts}
	defer func() {
		for _, q := range tx.missed {
			db.wStmts.get(context.WithoutCancel(ctx), q)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	start := time.Now()
	err = sqlTx.Commit()
	db.observeCommit(1, time.Since(start), err)
	if err != nil {
		return fmt.Errorf("commit: %w", Normalize(err))
	}
	tx.committed()
	return nil
}

// Exec runs a `?`-placeholder statement on the writer, outside a transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = db.Rebind(query)
	if st := db.wStmts.get(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, Normalize(err)
	}
	res, err := db.W.ExecContext(ctx, query, args...)
	return res, Normalize(err)
}

// QueryRow runs a `?`-placeholder query on the reader pool; the row's Scan
// returns normalised errors (ErrNotFound for no row).
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	db.observeQuery(query)
	query = db.Rebind(query)
	if st := db.rStmts.get(ctx, query); st != nil {
		return &Row{st.QueryRowContext(ctx, args...)}
	}
	return &Row{db.R.QueryRowContext(ctx, query, args...)}
}

// Row is the result of QueryRow: a *sql.Row whose errors are normalised, so
// a caller tests errors.Is(err, store.ErrNotFound) and never sees
// sql.ErrNoRows or a driver's constraint codes (errors.go).
type Row struct{ row *sql.Row }

// Scan copies the row's columns into dest, like sql.Row.Scan, and returns
// its error normalised.
func (r *Row) Scan(dest ...any) error { return Normalize(r.row.Scan(dest...)) }

// Err returns the query's error, normalised, without scanning.
func (r *Row) Err() error { return Normalize(r.row.Err()) }

// RowQueryer is what *DB and *Tx both offer for one-row reads, so a read
// helper runs inside or outside a transaction.
type RowQueryer interface {
	QueryRow(ctx context.Context, query string, args ...any) *Row
}

// Querier is what *DB and *Tx both offer for reads with `?` placeholders:
// one row (normalised, see Row) or many (Query).
type Querier interface {
	RowQueryer
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Query runs a `?`-placeholder query on the reader pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	db.observeQuery(query)
	query = db.Rebind(query)
	if st := db.rStmts.get(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, Normalize(err)
	}
	rows, err := db.R.QueryContext(ctx, query, args...)
	return rows, Normalize(err)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.W.PingContext(ctx) }

// Millis is how every timestamp is stored: milliseconds since the Unix epoch,
// in a BIGINT column on both engines, so that one query serves both.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Time turns a stored timestamp back into a time in the given location (nil
// means time.Local). Zero stays the zero time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// NullMillis stores a zero time as NULL.
func NullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// NullID stores a zero row id as NULL: a reference that is not set.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// BoolInt stores a flag as 0 or 1, the same column type on both engines.
func BoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Scanner is what a row scan needs: *sql.Row and *sql.Rows both have it.
type Scanner = interface{ Scan(dest ...any) error }

// Collect reads every row of a query with scan and closes the rows, so a
// list query is two lines:
//
//	rows, err := db.Query(ctx, q, args...)
//	items, err := store.Collect(rows, err, scanItem)
//
// It returns an empty, non-nil slice when there are no rows (JSON "[]").
// Errors come back normalised, like Query's.
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, Normalize(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, Normalize(err)
		}
		out = append(out, v)
	}
	return out, Normalize(rows.Err())
}

// Optimize refreshes the query planner's statistics where they are missing
// or stale. SQLite keeps none unless asked: without them it cannot tell a
// selective index from a poor one, and the inbox and search plans measured
// in docs/PERFORMANCE.md assume them. analysis_limit bounds the work (a
// sample of each index), so this takes milliseconds even at a million
// cases. PostgreSQL's autovacuum does the same on its own.
func (db *DB) Optimize(ctx context.Context) error {
	if db.Dialect != SQLite {
		return nil
	}
	// 0x10002: look at every table, not only those this connection has
	// queried (a fresh connection has queried none).
	if _, err := db.W.ExecContext(ctx, `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`); err != nil {
		return fmt.Errorf("optimize sqlite: %w", err)
	}
	return nil
}
