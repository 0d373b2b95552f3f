// Package timers keeps deadline jobs in the database: scheduled in the same
// transaction as the change that starts them, claimed by one sweeper however
// many instances run, and fired exactly once.
//
// Firing a timer and its handler's writes are one transaction: the sweeper
// claims the timer (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single
// writer serialises the same statements), runs the handler inside a
// savepoint and marks the timer fired. Either both the handler's writes and
// the mark are committed, or neither is and the timer stays pending. A
// handler that fails is retried later with a growing delay.
package timers

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/store"
)

// Timer is one scheduled job.
type Timer struct {
	ID           int64
	Kind         string // e.g. "sign_warn", "sign_due", "handle_warn", "handle_due"
	CaseID       int64
	AssignmentID int64 // 0 when the timer is the case's own
	DueAt        time.Time
	Payload      string

	// Set when read back from the database.
	CreatedAt time.Time
	FiredAt   time.Time // zero while pending
	FiredBy   string    // the instance whose sweeper fired it
	Attempts  int       // failed handler runs so far
	LastError string    // the last handler error
}

// Pending reports whether the timer has not fired yet.
func (t Timer) Pending() bool { return t.FiredAt.IsZero() }

// maxKind bounds a kind's length.
const maxKind = 64

// Schedule adds t inside tx and returns its id.
func Schedule(ctx context.Context, tx *store.Tx, t Timer) (int64, error) {
	if t.Kind == "" || len(t.Kind) > maxKind || strings.TrimSpace(t.Kind) != t.Kind {
		return 0, fmt.Errorf("schedule timer: bad kind %q: %w", t.Kind, store.ErrInvalid)
	}
	if t.CaseID == 0 {
		return 0, fmt.Errorf("schedule timer %s: no case: %w", t.Kind, store.ErrInvalid)
	}
	if t.DueAt.IsZero() {
		return 0, fmt.Errorf("schedule timer %s: no due time: %w", t.Kind, store.ErrInvalid)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO timers (kind, case_id, assignment_id, due_at, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Kind, t.CaseID, store.NullID(t.AssignmentID), store.Millis(t.DueAt), t.Payload, time.Now().UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("schedule timer %s for case %d: %w", t.Kind, t.CaseID, err)
	}
	return id, nil
}

// Cancel removes the unfired timers of a case of the given kinds (all kinds
// when none are given): only those of assignment assignmentID when it is not
// 0, and all of the case's (its own and its assignments') when it is 0.
// Fired timers are kept: they are the record of what happened.
func Cancel(ctx context.Context, tx *store.Tx, caseID, assignmentID int64, kinds ...string) error {
	q := `DELETE FROM timers WHERE case_id = ? AND fired_at IS NULL`
	args := []any{caseID}
	if assignmentID != 0 {
		q += ` AND assignment_id = ?`
		args = append(args, assignmentID)
	}
	if len(kinds) > 0 {
		q += ` AND kind IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("cancel timers of case %d: %w", caseID, err)
	}
	return nil
}

const timerColumns = `id, kind, case_id, COALESCE(assignment_id, 0), due_at, payload, created_at,
	COALESCE(fired_at, 0), COALESCE(fired_by, ''), attempts, last_error`

type scanner = store.Scanner

func scanTimer(s scanner) (Timer, error) {
	var t Timer
	var due, created, fired int64
	err := s.Scan(&t.ID, &t.Kind, &t.CaseID, &t.AssignmentID, &due, &t.Payload, &created, &fired, &t.FiredBy, &t.Attempts, &t.LastError)
	t.DueAt, t.CreatedAt, t.FiredAt = store.Time(due), store.Time(created), store.Time(fired)
	return t, err
}

// Pending lists the unfired timers of a case, soonest first.
func Pending(ctx context.Context, db *store.DB, caseID int64) ([]Timer, error) {
	return list(ctx, db, `SELECT `+timerColumns+` FROM timers WHERE case_id = ? AND fired_at IS NULL ORDER BY due_at, id`, caseID)
}

// ForCase lists every timer of a case, fired or not, in order of due time.
func ForCase(ctx context.Context, db *store.DB, caseID int64) ([]Timer, error) {
	return list(ctx, db, `SELECT `+timerColumns+` FROM timers WHERE case_id = ? ORDER BY due_at, id`, caseID)
}

func list(ctx context.Context, db *store.DB, q string, args ...any) ([]Timer, error) {
	rows, err := db.Query(ctx, q, args...)
	out, err := store.Collect(rows, err, scanTimer)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	return out, nil
}

// RunOnce runs fn for (job, period) once across every instance sharing the
// database: the run is recorded in jobs_runs in the same transaction as fn's
// writes, so a second instance (or a restart) finds it and skips, and a
// failed fn leaves nothing recorded, to be tried again. Period names the
// slot, e.g. "2026-11-26" for a daily job. It reports whether fn ran.
func RunOnce(ctx context.Context, db *store.DB, job, period string, fn func(ctx context.Context, tx *store.Tx) error) (ran bool, err error) {
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// On PostgreSQL a concurrent insert of the same key waits here for
		// the other transaction, then does nothing if it committed.
		res, err := tx.Exec(ctx, `INSERT INTO jobs_runs (job, period, ran_at, instance) VALUES (?, ?, ?, ?)
			ON CONFLICT (job, period) DO NOTHING`, job, period, time.Now().UnixMilli(), InstanceID())
		if err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		if n == 0 {
			return nil
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		ran = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("job %s for %s: %w", job, period, err)
	}
	return ran, nil
}

// InstanceID names this process among the instances sharing a database:
// host name and process id, "app-1:4711".
func InstanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
