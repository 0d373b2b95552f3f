package casework

import (
	"context"
	"fmt"

	"grassroots/internal/store"
)

// The case row carries a copy of its current lead assignment (the latest
// assignment with role lead): its id, unit path, sign and handling
// deadlines, signing time and overdue flag (migration 0012_case_lead). The
// rates (internal/stats) read them with one range scan of cases. These two
// statements are the only code that writes them: refreshLead runs them for
// one case at the end of every action, of intake and of a deadline timer;
// RefreshLeads for every case (fixtures and bulk loads that insert
// assignments directly).
const (
	leadIDUpdate = `UPDATE cases SET lead_assignment_id = (SELECT MAX(l.id) FROM assignments l WHERE l.case_id = cases.id AND l.role = 'lead')`
	leadUpdate   = `UPDATE cases SET
	lead_path = COALESCE((SELECT a.unit_path FROM assignments a WHERE a.id = cases.lead_assignment_id), ''),
	lead_signed_at = (SELECT a.signed_at FROM assignments a WHERE a.id = cases.lead_assignment_id),
	lead_sign_due_at = (SELECT a.sign_due_at FROM assignments a WHERE a.id = cases.lead_assignment_id),
	lead_overdue = COALESCE((SELECT a.overdue FROM assignments a WHERE a.id = cases.lead_assignment_id), 0),
	lead_handle_due_at = (SELECT a.handle_due_at FROM assignments a WHERE a.id = cases.lead_assignment_id)`
)

// refreshLead recomputes the case's copy of its current lead assignment
// from the assignments, in the caller's transaction.
func refreshLead(ctx context.Context, tx *store.Tx, caseID int64) error {
	if _, err := tx.Exec(ctx, leadIDUpdate+` WHERE id = ?`, caseID); err != nil {
		return fmt.Errorf("refresh lead of case %d: %w", caseID, err)
	}
	if _, err := tx.Exec(ctx, leadUpdate+` WHERE id = ?`, caseID); err != nil {
		return fmt.Errorf("refresh lead of case %d: %w", caseID, err)
	}
	return nil
}

// RefreshLeads recomputes every case's copy of its current lead assignment,
// in one transaction. Code that writes assignments without the engine (test
// fixtures, cmd/benchcounty's bulk load) calls it afterwards.
func RefreshLeads(ctx context.Context, db *store.DB) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, leadIDUpdate); err != nil {
			return fmt.Errorf("refresh leads: %w", err)
		}
		if _, err := tx.Exec(ctx, leadUpdate); err != nil {
			return fmt.Errorf("refresh leads: %w", err)
		}
		return nil
	})
}
