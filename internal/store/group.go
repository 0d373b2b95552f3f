package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// groupCommit lets concurrent write transactions on SQLite share one commit.
//
// SQLite has one writer, and a commit with synchronous=FULL writes the
// transaction's pages to the log and waits for the disk: that is most of a
// small transaction's cost. When callers queue for the writer, the one
// holding it runs its work inside the transaction left open by the previous
// caller, each later piece of work in its own savepoint, and the last caller
// in the queue commits for all. A caller's work that fails is rolled back to its
// savepoint alone and its error returned at once; a caller whose work
// succeeded returns only after the shared commit, with the commit's result.
// With no queue, a transaction commits as soon as its work is done, exactly
// as without grouping.
type groupCommit struct {
	w *sql.DB
	// turn is held (a value sent) by the caller running its work in the
	// open transaction.
	turn chan struct{}

	mu     sync.Mutex
	queued int // callers holding or waiting for the turn

	// Owned by the turn's holder.
	tx      *sql.Tx
	started time.Time    // when tx began
	jobs    int          // work run in tx
	waiting []chan error // callers whose work succeeded, awaiting the commit
	commits int          // shared transactions committed (for the tests)

	// observe is the DB's observeCommit.
	observe func(jobs int, took time.Duration, err error)
}

// A shared transaction commits after this many callers' work or this long
// after it began, even with callers still queued, so that a steady queue
// cannot hold a caller's answer back.
const (
	groupMaxJobs = 32
	groupMaxAge  = 20 * time.Millisecond
)

func newGroupCommit(w *sql.DB) *groupCommit {
	return &groupCommit{w: w, turn: make(chan struct{}, 1)}
}

// errGroupAborted wraps the error that ended a shared transaction before its
// commit: none of the work run in it was kept.
var errGroupAborted = errors.New("the shared write transaction was rolled back")

// do runs fn in the shared transaction and returns once its work is durable
// or known to be lost. A panic in fn rolls its work back and is re-raised in
// the caller.
func (g *groupCommit) do(ctx context.Context, stmts *stmtCache, fn func(tx *Tx) error) error {
	g.mu.Lock()
	g.queued++
	g.mu.Unlock()
	g.turn <- struct{}{}

	tx := &Tx{Dialect: SQLite, stmts: stmts, detached: true}
	wait, panicked, err := g.run(ctx, tx, fn)

	g.mu.Lock()
	g.queued--
	others := g.queued
	g.mu.Unlock()
	if g.tx != nil && (others == 0 || g.jobs >= groupMaxJobs || time.Since(g.started) >= groupMaxAge) {
		g.commitObserved()
	}
	<-g.turn

	// Statements first seen in this work are prepared now that the writer
	// connection is free of our hold (another batch may hold it; preparing
	// then waits for its commit, never for us).
	for _, q := range tx.missed {
		stmts.get(context.WithoutCancel(ctx), q)
	}
	if panicked != nil {
		panic(panicked)
	}
	if wait != nil {
		if err := <-wait; err != nil {
			return err
		}
		tx.committed()
		return nil
	}
	return err
}

// commitObserved commits and tells the DB's commit observer how many
// callers' work the commit carried and how long it took.
func (g *groupCommit) commitObserved() {
	jobs, start := len(g.waiting), time.Now() // the work kept, not the work undone
	err := g.commit()
	if g.observe != nil {
		g.observe(jobs, time.Since(start), err)
	}
}

// between runs fn while no transaction is open on the writer connection and
// no caller's work can begin: a shared transaction still open is committed
// first.
func (g *groupCommit) between(fn func() error) error {
	g.mu.Lock()
	g.queued++
	g.mu.Unlock()
	g.turn <- struct{}{}
	defer func() { <-g.turn }()
	if g.tx != nil {
		g.commitObserved()
	}
	g.mu.Lock()
	g.queued--
	g.mu.Unlock()
	return fn()
}

// run runs fn in the open transaction, beginning one when none is open. The
// first work of a transaction runs bare, as a lone transaction would (a
// savepoint makes SQLite copy every page it changes to a sub-journal first);
// later work runs in its own savepoint, so that its failure undoes it alone.
// It returns fn's error (its work undone), or a channel that will carry the
// commit's result.
func (g *groupCommit) run(ctx context.Context, tx *Tx, fn func(tx *Tx) error) (wait chan error, panicked any, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	bg := context.Background()
	first := g.tx == nil
	if first {
		// The shared transaction outlives any one caller's context.
		sqlTx, err := g.w.BeginTx(bg, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("begin: %w", Normalize(err))
		}
		g.tx, g.started, g.jobs = sqlTx, time.Now(), 0
	} else if _, err := g.tx.ExecContext(bg, `SAVEPOINT group_job`); err != nil {
		err = fmt.Errorf("begin: %w", Normalize(err))
		g.abort(err)
		return nil, nil, err
	}
	g.jobs++
	tx.Tx = g.tx
	func() {
		defer func() { panicked = recover() }()
		err = fn(tx)
	}()
	if err != nil || panicked != nil {
		switch {
		case first:
			// Nobody else's work is in the transaction yet.
			_ = g.tx.Rollback()
			g.tx = nil
		default:
			// Keep the others' work: undo this caller's only. When the
			// engine has already rolled the whole transaction back (an I/O
			// error, a full disk), the savepoint is gone and so is
			// everyone's work.
			if _, rerr := g.tx.ExecContext(bg, `ROLLBACK TO group_job`); rerr != nil {
				g.abort(rerr)
			} else if _, rerr := g.tx.ExecContext(bg, `RELEASE group_job`); rerr != nil {
				g.abort(rerr)
			}
		}
		return nil, panicked, err
	}
	if !first {
		if _, err := g.tx.ExecContext(bg, `RELEASE group_job`); err != nil {
			err = fmt.Errorf("release savepoint: %w", Normalize(err))
			g.abort(err)
			return nil, nil, err
		}
	}
	wait = make(chan error, 1)
	g.waiting = append(g.waiting, wait)
	return wait, nil, nil
}

// commit commits the shared transaction and tells every waiting caller.
func (g *groupCommit) commit() error {
	err := g.tx.Commit()
	g.commits++
	if err != nil {
		err = fmt.Errorf("commit: %w", Normalize(err))
		// database/sql gives the connection back whatever COMMIT said; a
		// failed COMMIT can leave SQLite's transaction open (SQLITE_BUSY does)
		// on it, and the next BEGIN would fail. Nothing of it is kept.
		_, _ = g.w.ExecContext(context.Background(), `ROLLBACK`)
	}
	for _, w := range g.waiting {
		w <- err
	}
	g.tx, g.waiting = nil, nil
	return err
}

// abort rolls the shared transaction back after an error that broke it and
// tells every waiting caller that their work is lost.
func (g *groupCommit) abort(cause error) {
	_ = g.tx.Rollback()
	err := fmt.Errorf("%w: %w", errGroupAborted, Normalize(cause))
	for _, w := range g.waiting {
		w <- err
	}
	g.tx, g.waiting = nil, nil
}
