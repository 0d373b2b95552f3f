package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// A read replica (PostgreSQL streaming replication) takes the reads that
// tolerate a little staleness: the lists, search, figures, cockpit and
// Open311 GET. Two things must agree before a read goes there:
//
//   - the request allows it: ReplicaReads marks a context (the HTTP
//     middleware marks every GET of the program; background jobs, commands
//     and writes never), and names the log position the reader must have
//     seen, the position after the user's own last write (read-your-writes);
//   - the domain code asks for it: Reader(ctx) instead of the DB itself, at
//     the read paths named above. Everything else reads the primary.
//
// A checker (one goroutine) asks the primary for its log position and the
// replica for the position it has replayed every CheckEvery, and keeps the
// answers: whether the replica may be used, how stale it is, what it has
// replayed. Reader decides from those without a round trip. A read that
// fails on the replica runs again on the primary at once, and a connection
// failure takes the replica out of use until a check finds it well again.

// LSN is a position in PostgreSQL's write-ahead log (pg_lsn), as a number:
// every transaction committed before a position is in the log before it.
type LSN uint64

// ParseLSN reads PostgreSQL's text form of a position, "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("log position %q: want HEX/HEX", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("log position %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("log position %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// String is PostgreSQL's text form of the position.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// ReplicaOptions are the replica's bounds.
type ReplicaOptions struct {
	// MaxLag is how stale the replica may be and still take reads: when
	// it has not replayed what the primary had MaxLag ago, reads go to the
	// primary (default 5 s).
	MaxLag time.Duration
	// CheckEvery is how often the checker looks (default 1 s). The
	// staleness is known to within it, so a read may see up to MaxLag +
	// CheckEvery of staleness.
	CheckEvery time.Duration
	// Log is told when the replica comes into use and goes out of it.
	Log *slog.Logger
}

// ReplicaStatus is what the checker last found, and what Reader did.
type ReplicaStatus struct {
	// Usable: reads that allow it go to the replica.
	Usable bool
	// Reason says why not, when not usable.
	Reason string
	// Staleness is how far behind the primary the replica was at the last
	// check (the age of the newest primary position it had replayed).
	Staleness time.Duration
	// Replayed is the position the replica had replayed.
	Replayed LSN
	// CheckedAt is when the checker last looked.
	CheckedAt time.Time
	// ReplicaReads and PrimaryReads count the readers Reader gave out for
	// contexts that allowed the replica; Fallbacks the reads that failed on
	// the replica and were run on the primary.
	ReplicaReads, PrimaryReads, Fallbacks int64
}

type replicaState struct {
	usable    bool
	reason    string
	staleness time.Duration
	replayed  LSN
	checkedAt time.Time
}

// lsnSample is the primary's log position at a moment.
type lsnSample struct {
	at  time.Time
	lsn LSN
}

type replica struct {
	pool  *sql.DB
	opt   ReplicaOptions
	state atomic.Pointer[replicaState]

	replicaReads, primaryReads, fallbacks atomic.Int64

	kick chan struct{} // look again now (a read failed)
	stop chan struct{}
	done chan struct{}

	// Owned by the checker.
	samples  []lsnSample
	systemID string // the primary's, to refuse a replica of another cluster
}

// AttachReplica makes the PostgreSQL streaming replica at dsn take the
// reads that allow it (Reader). The replica need not answer now: the
// checker finds out, and reads go to the primary until it does. It checks
// once before returning, so a server starts knowing where its reads go.
func (db *DB) AttachReplica(ctx context.Context, dsn string, opt ReplicaOptions) error {
	if db.Dialect != Postgres || !IsPostgres(dsn) {
		return errors.New("a read replica needs PostgreSQL: both the database and the replica must be postgres:// URLs")
	}
	if db.replica != nil {
		return errors.New("a replica is attached already")
	}
	if opt.MaxLag <= 0 {
		opt.MaxLag = 5 * time.Second
	}
	if opt.CheckEvery <= 0 {
		opt.CheckEvery = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	// A replica that is gone must not hold a read for long: the read
	// goes to the primary instead.
	pool, err := openPostgresPool(dsn, 3*time.Second)
	if err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	var systemID string
	if err := db.W.QueryRowContext(ctx, `SELECT system_identifier::text FROM pg_control_system()`).Scan(&systemID); err != nil {
		pool.Close()
		return fmt.Errorf("replica: read the primary's system identifier: %w", err)
	}
	r := &replica{pool: pool, opt: opt, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), systemID: systemID}
	r.state.Store(&replicaState{reason: "not checked yet"})
	r.check(ctx, db.W)
	db.replica = r
	go r.run(db.W)
	return nil
}

// HasReplica reports whether a replica is attached.
func (db *DB) HasReplica() bool { return db.replica != nil }

// ReplicaStatus returns what the checker last found; ok is false without a
// replica.
func (db *DB) ReplicaStatus() (s ReplicaStatus, ok bool) {
	r := db.replica
	if r == nil {
		return ReplicaStatus{}, false
	}
	st := r.state.Load()
	return ReplicaStatus{Usable: st.usable, Reason: st.reason, Staleness: st.staleness, Replayed: st.replayed, CheckedAt: st.checkedAt,
		ReplicaReads: r.replicaReads.Load(), PrimaryReads: r.primaryReads.Load(), Fallbacks: r.fallbacks.Load()}, true
}

// replicaReadsKey carries the LSN a replica must have replayed for the
// request's reads (ReplicaReads).
type replicaReadsKey struct{}

// ReplicaReads returns ctx marked as allowing its reads through Reader to go
// to a replica that has replayed the log up to after (0: any position; the
// staleness bound still holds). The HTTP middleware marks reads (GET) with
// the position of the user's own last write; unmarked contexts read the
// primary.
func ReplicaReads(ctx context.Context, after LSN) context.Context {
	return context.WithValue(ctx, replicaReadsKey{}, after)
}

// Reader returns where the reads of a list, a search, a figure, the cockpit
// or Open311 GET should run: the replica when one is attached and usable,
// ctx allows it (ReplicaReads) and the replica has replayed the position ctx
// names; else the database itself (the primary, or SQLite's reader pool).
// Only reads that may be a little stale use it; a read whose answer the
// caller writes back, or checks a right against, reads the DB.
func (db *DB) Reader(ctx context.Context) Querier {
	r := db.replica
	if r == nil {
		return db
	}
	after, ok := ctx.Value(replicaReadsKey{}).(LSN)
	if !ok {
		return db
	}
	if st := r.state.Load(); !st.usable || st.replayed < after || time.Since(st.checkedAt) > r.trustFor() {
		r.primaryReads.Add(1)
		return db
	}
	r.replicaReads.Add(1)
	return replicaReader{db: db, r: r}
}

// WriteLSN returns the primary's current log position: every write
// committed before the call lies before it, so a replica that has replayed
// it shows them (read-your-writes). 0 without a replica: nothing to wait for.
func (db *DB) WriteLSN(ctx context.Context) (LSN, error) {
	if db.replica == nil {
		return 0, nil
	}
	var s string
	if err := db.W.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("read the primary's log position: %w", err)
	}
	return ParseLSN(s)
}

// replicaReader runs reads on the replica, and on the primary when the
// replica fails them.
type replicaReader struct {
	db *DB
	r  *replica
}

func (q replicaReader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := q.r.pool.QueryContext(ctx, q.db.Rebind(query), args...)
	if err == nil {
		return rows, nil
	}
	if ctx.Err() != nil {
		return nil, Normalize(err)
	}
	q.r.failed(err)
	return q.db.Query(ctx, query, args...)
}

func (q replicaReader) QueryRow(ctx context.Context, query string, args ...any) *Row {
	row := q.r.pool.QueryRowContext(ctx, q.db.Rebind(query), args...)
	if err := row.Err(); err != nil && ctx.Err() == nil {
		q.r.failed(err)
		return q.db.QueryRow(ctx, query, args...)
	}
	return &Row{row}
}

// trustFor is how long a check's finding holds: a checker that has not
// looked for longer (its queries hang) no longer vouches for the replica.
func (r *replica) trustFor() time.Duration {
	return 3*r.opt.CheckEvery + 2*time.Second
}

// ReadAfterFor is how long a write's position must be kept for
// read-your-writes: after it, any replica Reader uses has replayed the
// write (it is within MaxLag, as of a check no older than trustFor). 0
// without a replica.
func (db *DB) ReadAfterFor() time.Duration {
	if db.replica == nil {
		return 0
	}
	return db.replica.opt.MaxLag + db.replica.trustFor()
}

// failed counts a read the replica failed. A failure of the connection (the
// replica stopped, restarts, cannot be reached) takes the replica out of use
// at once and has the checker look; an error the replica answered (a query
// cancelled by a conflict with recovery) only sends this read to the
// primary.
func (r *replica) failed(err error) {
	r.fallbacks.Add(1)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !strings.HasPrefix(pgErr.Code, "57P") && !strings.HasPrefix(pgErr.Code, "08") {
		return
	}
	prev := r.state.Load()
	r.setState(&replicaState{reason: "a read failed: " + err.Error(), staleness: prev.staleness, replayed: prev.replayed, checkedAt: prev.checkedAt})
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *replica) run(primary *sql.DB) {
	defer close(r.done)
	t := time.NewTicker(r.opt.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		case <-r.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(r.opt.CheckEvery, 2*time.Second))
		r.check(ctx, primary)
		cancel()
	}
}

// check samples the primary's position, then asks the replica what it has
// replayed. The replica's staleness is the age of the newest sample it has
// replayed: it had then everything the primary had at that moment. With no
// sample replayed (it fell behind more than the samples kept, or this is
// the first look and it is behind), it is not used.
func (r *replica) check(ctx context.Context, primary *sql.DB) {
	at := time.Now()
	var ps string
	if err := primary.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&ps); err != nil {
		r.setState(&replicaState{reason: "cannot read the primary's log position: " + err.Error(), checkedAt: at})
		return
	}
	p, err := ParseLSN(ps)
	if err != nil {
		r.setState(&replicaState{reason: err.Error(), checkedAt: at})
		return
	}
	r.samples = append(r.samples, lsnSample{at: at, lsn: p})
	keep := at.Add(-(r.opt.MaxLag + 2*r.opt.CheckEvery))
	for len(r.samples) > 1 && r.samples[0].at.Before(keep) {
		r.samples = r.samples[1:]
	}

	var inRecovery bool
	var replayed, systemID string
	err = r.pool.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn()::text, ''),
		(SELECT system_identifier::text FROM pg_control_system())`).Scan(&inRecovery, &replayed, &systemID)
	now := time.Now()
	switch {
	case err != nil:
		r.setState(&replicaState{reason: "the replica does not answer: " + err.Error(), checkedAt: now})
		return
	case systemID != r.systemID:
		r.setState(&replicaState{reason: "the replica is not a copy of this primary (another system identifier)", checkedAt: now})
		return
	case !inRecovery || replayed == "":
		r.setState(&replicaState{reason: "the replica is not a standby (not in recovery)", checkedAt: now})
		return
	}
	rl, err := ParseLSN(replayed)
	if err != nil {
		r.setState(&replicaState{reason: err.Error(), checkedAt: now})
		return
	}
	st := &replicaState{replayed: rl, checkedAt: now}
	found := false
	for i := len(r.samples) - 1; i >= 0; i-- {
		if r.samples[i].lsn <= rl {
			st.staleness, found = now.Sub(r.samples[i].at), true
			break
		}
	}
	switch {
	case !found:
		st.staleness = now.Sub(r.samples[0].at)
		st.reason = fmt.Sprintf("the replica is behind the primary by more than %s (replayed %s, primary at %s)", st.staleness.Round(time.Millisecond), rl, p)
	case st.staleness > r.opt.MaxLag:
		st.reason = fmt.Sprintf("the replica is %s behind the primary (bound %s)", st.staleness.Round(time.Millisecond), r.opt.MaxLag)
	default:
		st.usable = true
	}
	r.setState(st)
}

// setState stores the new state and logs a change of use.
func (r *replica) setState(st *replicaState) {
	prev := r.state.Swap(st)
	switch {
	case st.usable && (prev == nil || !prev.usable):
		r.opt.Log.Info("read replica in use", "staleness", st.staleness.String(), "replayed", st.replayed.String())
	case !st.usable && (prev == nil || prev.usable):
		r.opt.Log.Warn("read replica not in use: reads go to the primary", "reason", st.reason)
	}
}

// close stops the checker and closes the replica's pool.
func (r *replica) close() {
	if r == nil {
		return
	}
	close(r.stop)
	<-r.done
	r.pool.Close()
}
