// Package timers keeps deadline jobs in the database: scheduled in the same
// transaction as the change that starts them, claimed by one sweeper however
// many instances run, and fired exactly once.
package timers

import (
	"context"
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
}

// Schedule adds t inside tx and returns its id.
func Schedule(ctx context.Context, tx *store.Tx, t Timer) (int64, error) {
	panic("timers: not built yet")
}

// Cancel removes the unfired timers of a case (and assignment, when not 0) of
// the given kinds (all kinds when none are given).
func Cancel(ctx context.Context, tx *store.Tx, caseID, assignmentID int64, kinds ...string) error {
	panic("timers: not built yet")
}

// Handler fires one timer inside the transaction that marks it fired.
type Handler func(ctx context.Context, tx *store.Tx, t Timer) error

// Sweeper claims due timers and fires their handlers.
type Sweeper struct{}
