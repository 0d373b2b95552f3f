package timers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"grassroots/internal/store"
)

// Handler fires one timer inside the transaction that marks it fired. It
// must do all its writes through tx (never a transaction of its own: on
// SQLite the sweeper holds the only writer) and return an error to leave the
// timer pending; its writes are then undone.
type Handler func(ctx context.Context, tx *store.Tx, t Timer) error

// Sweeper claims due timers and fires their handlers. Register handlers with
// Handle before Run starts; several instances may sweep one database at once.
type Sweeper struct {
	db       *store.DB
	log      *slog.Logger
	instance string

	mu       sync.RWMutex
	handlers map[string]Handler
	fallback Handler // fires the kinds without a handler of their own
	obs      Observer
}

// Observer is told what the sweeper did, for the program's metrics (the
// package knows none). Each func may be nil; they must be quick.
type Observer struct {
	// Fired is called once per timer fired, after its batch committed.
	Fired func(kind string)
	// Failed is called once per timer whose handler failed (it is retried
	// later), after the failure was recorded.
	Failed func(kind string)
	// Swept is called after every sweep with the time it swept at (the
	// timers due by then were fired or left for a retry) and its error.
	Swept func(at time.Time, err error)
}

// Observe makes o the sweeper's observer. Call it before Run.
func (s *Sweeper) Observe(o Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obs = o
}

func (s *Sweeper) observer() Observer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.obs
}

// The sweep's tuning.
const (
	// batchSize is how many timers one transaction claims.
	batchSize = 50
	// batchTimeout bounds one batch, so a handler that hangs cannot stop
	// the sweeper for good: the batch is rolled back and tried again.
	batchTimeout = 2 * time.Minute
	// The delay before a failed timer is tried again doubles from
	// firstRetry up to maxRetry.
	firstRetry = time.Minute
	maxRetry   = time.Hour
)

// NewSweeper returns a sweeper over db that signs the timers it fires with
// instanceID (host name and process id: see InstanceID).
func NewSweeper(db *store.DB, log *slog.Logger, instanceID string) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	if instanceID == "" {
		instanceID = InstanceID()
	}
	return &Sweeper{db: db, log: log, instance: instanceID, handlers: map[string]Handler{}}
}

// Instance returns the id the sweeper signs fired timers with.
func (s *Sweeper) Instance() string { return s.instance }

// Handle makes h fire the timers of kind, replacing any handler before it.
func (s *Sweeper) Handle(kind string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[kind] = h
}

// HandleDefault makes h fire the timers of every kind that has no handler
// of its own, for an area whose timer kinds are data (one handler that
// dispatches on Timer.Kind).
func (s *Sweeper) HandleDefault(h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = h
}

// Kinds lists the kinds that have a handler, sorted.
func (s *Sweeper) Kinds() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.handlers))
}

func (s *Sweeper) handler(kind string) Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if h, ok := s.handlers[kind]; ok {
		return h
	}
	return s.fallback
}

// claimAll reports whether a default handler fires every kind.
func (s *Sweeper) claimAll() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fallback != nil
}

// Run sweeps every interval until ctx ends, starting at once. It logs what
// fails and carries on; it never panics.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 15 * time.Second
	}
	s.log.InfoContext(ctx, "deadline sweeper started", "instance", s.instance, "interval", interval.String(), "kinds", strings.Join(s.Kinds(), ","))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.runOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Sweeper) runOnce(ctx context.Context) {
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "deadline sweep panicked", "instance", s.instance, "panic", fmt.Sprint(p))
		}
	}()
	start := time.Now()
	fired, err := s.SweepOnce(ctx, start)
	if o := s.observer(); o.Swept != nil && ctx.Err() == nil {
		o.Swept(start, err)
	}
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "deadline sweep failed", "instance", s.instance, "fired", fired, "err", err)
		return
	}
	if fired > 0 {
		s.log.InfoContext(ctx, "deadline sweep", "instance", s.instance, "fired", fired, "took_ms", time.Since(start).Milliseconds())
	}
}

// SweepOnce fires every timer due at now whose kind has a handler and that
// is not waiting for a retry, and returns how many fired. A handler error
// leaves its timer pending (retried after a delay) and is logged, not
// returned; the error returned is the database's.
func (s *Sweeper) SweepOnce(ctx context.Context, now time.Time) (fired int, err error) {
	kinds := s.Kinds()
	if s.claimAll() {
		kinds = nil // no kind filter: every due timer has a handler
	} else {
		if err := s.logUnhandled(ctx, now, kinds); err != nil {
			return 0, err
		}
		if len(kinds) == 0 {
			return 0, nil
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return fired, err
		}
		claimed, n, err := s.sweepBatch(ctx, now, kinds)
		fired += n
		if err != nil {
			return fired, err
		}
		if claimed < batchSize {
			return fired, nil
		}
	}
}

// sweepBatch claims up to batchSize due timers (of kinds, or of any kind
// when kinds is empty) in one transaction and fires each in a savepoint of
// its own.
func (s *Sweeper) sweepBatch(ctx context.Context, now time.Time, kinds []string) (claimed, fired int, err error) {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	nowMS := store.Millis(now)
	q := `SELECT ` + timerColumns + ` FROM timers WHERE fired_at IS NULL AND due_at <= ? AND retry_at <= ?`
	if len(kinds) > 0 {
		q += ` AND kind IN (` + placeholders(len(kinds)) + `)`
	}
	q += ` ORDER BY due_at, id LIMIT ` + fmt.Sprint(batchSize)
	if s.db.Dialect == store.Postgres {
		// Rows another instance holds are skipped, not waited for; they
		// are fired there or, if that instance dies, here next time.
		q += ` FOR UPDATE SKIP LOCKED`
	}
	args := []any{nowMS, nowMS}
	for _, k := range kinds {
		args = append(args, k)
	}
	type failure struct {
		t   Timer
		err error
	}
	var failures []failure
	var firedKinds []string
	// A batch is first fired whole, without a savepoint per timer, and
	// marked fired in one statement: a savepoint, its release and the mark
	// were three round trips per timer on PostgreSQL. When a handler fails
	// the batch is rolled back and fired again carefully, each timer in a
	// savepoint of its own, so one failure holds up no other timer.
	careful := false
	sweep := func(tx *store.Tx) error {
		fired, failures, firedKinds = 0, nil, nil
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("claim timers: %w", err)
		}
		var batch []Timer
		for rows.Next() {
			t, err := scanTimer(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("claim timers: %w", err)
			}
			batch = append(batch, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim timers: %w", err)
		}
		claimed = len(batch)
		if !careful {
			return s.fireAll(ctx, tx, batch, &fired, &firedKinds)
		}
		for _, t := range batch {
			herr, err := s.fire(ctx, tx, t, now)
			if err != nil {
				return err
			}
			if herr != nil {
				failures = append(failures, failure{t, herr})
				continue
			}
			fired++
			firedKinds = append(firedKinds, t.Kind)
		}
		return nil
	}
	err = s.db.InTx(ctx, sweep)
	if errors.Is(err, errFireCarefully) {
		careful = true
		err = s.db.InTx(ctx, sweep)
	}
	if err != nil {
		return claimed, 0, fmt.Errorf("sweep timers: %w", err)
	}
	if o := s.observer(); o.Fired != nil || o.Failed != nil {
		for _, k := range firedKinds {
			if o.Fired != nil {
				o.Fired(k)
			}
		}
		for _, f := range failures {
			if o.Failed != nil {
				o.Failed(f.t.Kind)
			}
		}
	}
	for _, f := range failures {
		s.log.WarnContext(ctx, "deadline timer failed, will retry", "instance", s.instance, "timer_id", f.t.ID,
			"kind", f.t.Kind, "case_id", f.t.CaseID, "attempt", f.t.Attempts+1, "err", f.err)
	}
	return claimed, fired, nil
}

// errFireCarefully rolls a batch back to fire it again timer by timer.
var errFireCarefully = errors.New("a timer's handler failed: fire the batch timer by timer")

// fireAll runs every timer's handler in tx and marks them all fired in one
// statement; a handler's failure (or a timer fired meanwhile by another
// sweeper) returns errFireCarefully, which dooms the transaction.
func (s *Sweeper) fireAll(ctx context.Context, tx *store.Tx, batch []Timer, fired *int, kinds *[]string) error {
	if len(batch) == 0 {
		return nil
	}
	ids := make([]any, 0, len(batch)+2)
	ids = append(ids, time.Now().UnixMilli(), s.instance)
	for _, t := range batch {
		if herr := s.call(ctx, tx, t); herr != nil {
			return errFireCarefully
		}
		ids = append(ids, t.ID)
	}
	res, err := tx.Exec(ctx, `UPDATE timers SET fired_at = ?, fired_by = ? WHERE fired_at IS NULL AND id IN (`+placeholders(len(batch))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("mark timers fired: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(batch)) {
		return errFireCarefully
	}
	*fired = len(batch)
	for _, t := range batch {
		*kinds = append(*kinds, t.Kind)
	}
	return nil
}

// fire runs t's handler in a savepoint and marks t fired. A handler error
// (or panic) rolls back to the savepoint and records the failure instead;
// it is returned as herr. err is a database error that dooms the batch.
func (s *Sweeper) fire(ctx context.Context, tx *store.Tx, t Timer, now time.Time) (herr, err error) {
	if _, err := tx.Exec(ctx, `SAVEPOINT timer_fire`); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	herr = s.call(ctx, tx, t)
	if herr == nil {
		var res sql.Result
		res, herr = tx.Exec(ctx, `UPDATE timers SET fired_at = ?, fired_by = ? WHERE id = ? AND fired_at IS NULL`,
			time.Now().UnixMilli(), s.instance, t.ID)
		if herr == nil {
			// The claim's row lock makes this impossible; should it
			// happen all the same, the handler's writes are undone.
			if n, _ := res.RowsAffected(); n != 1 {
				herr = fmt.Errorf("timer %d was fired by another sweeper", t.ID)
			}
		}
	}
	if herr == nil {
		if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT timer_fire`); err != nil {
			return nil, fmt.Errorf("release savepoint: %w", err)
		}
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT timer_fire`); err != nil {
		return herr, fmt.Errorf("roll back timer %d: %w (after %v)", t.ID, err, herr)
	}
	if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT timer_fire`); err != nil {
		return herr, fmt.Errorf("release savepoint: %w", err)
	}
	msg := herr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	retry := now.Add(retryDelay(t.Attempts + 1))
	if _, err := tx.Exec(ctx, `UPDATE timers SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE id = ?`,
		strings.ToValidUTF8(msg, "?"), store.Millis(retry), t.ID); err != nil {
		return herr, fmt.Errorf("record failure of timer %d: %w", t.ID, err)
	}
	return herr, nil
}

// call runs the handler, turning a panic into an error.
func (s *Sweeper) call(ctx context.Context, tx *store.Tx, t Timer) (err error) {
	h := s.handler(t.Kind)
	if h == nil {
		return fmt.Errorf("no handler for kind %q", t.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler for %s panicked: %v", t.Kind, p)
		}
	}()
	return h(ctx, tx, t)
}

// retryDelay is the wait before attempt n+1: 1, 2, 4 ... minutes, at most
// an hour.
func retryDelay(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// logUnhandled logs, once per sweep, the due timers whose kind has no
// handler here: they stay pending until an instance that knows them runs.
func (s *Sweeper) logUnhandled(ctx context.Context, now time.Time, kinds []string) error {
	q := `SELECT kind, COUNT(*) FROM timers WHERE fired_at IS NULL AND due_at <= ?`
	args := []any{store.Millis(now)}
	if len(kinds) > 0 {
		q += ` AND kind NOT IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	rows, err := s.db.Query(ctx, q+` GROUP BY kind`, args...)
	if err != nil {
		return fmt.Errorf("count unhandled timers: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("count unhandled timers: %w", err)
		}
		counts[k] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count unhandled timers: %w", err)
	}
	if len(counts) > 0 {
		var parts []string
		for k, n := range counts {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(parts)
		s.log.WarnContext(ctx, "due timers have no handler; left pending", "instance", s.instance, "kinds", strings.Join(parts, " "))
	}
	return nil
}

// Backlog counts the timers due at now and not fired yet (waiting for a
// sweep, or for a retry after their handler failed) and returns the due
// time of the oldest (zero when none): the sweeper's lag is now minus that.
// One range read of the pending timers' index.
func Backlog(ctx context.Context, db *store.DB, now time.Time) (due int64, oldest time.Time, err error) {
	var first sql.NullInt64
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(due_at) FROM timers WHERE fired_at IS NULL AND due_at <= ?`, store.Millis(now)).Scan(&due, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("timer backlog: %w", err)
	}
	if first.Valid {
		oldest = store.Time(first.Int64)
	}
	return due, oldest, nil
}
