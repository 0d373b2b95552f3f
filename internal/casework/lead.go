package casework

import (
	"context"
	"fmt"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// The case row carries a copy of its current lead assignment (the latest
// assignment with role lead): its id, unit path, sign and handling
// deadlines, signing time and overdue flag (migration 0012_case_lead), its
// first contact and contact deadline and its return (migration 0017): while
// the latest lead is returned, the case's path is the dispatching unit's, so
// that it counts there, not for the unit that returned it, until it is
// re-dispatched (docs/RATES.md). The
// rates (internal/stats) read them with one range scan of cases. This
// statement is the only code that writes them: refreshLead runs it for one
// case at the end of every action, of intake and of a deadline timer;
// RefreshLeads for every case (fixtures and bulk loads that insert
// assignments directly). One statement, so the figures' triggers
// (migration 0014) see one change, not two; MAX always gives a row, so a
// case without a lead gets NULLs and the defaults.
const leadUpdate = `UPDATE cases SET (lead_assignment_id, lead_path, lead_signed_at, lead_sign_due_at, lead_overdue, lead_handle_due_at,
	lead_contacted_at, lead_contact_due_at, lead_returned_at) =
	(SELECT l.id, CASE WHEN a.returned_at IS NOT NULL THEN COALESCE(d.path, '') ELSE COALESCE(a.unit_path, '') END,
		a.signed_at, a.sign_due_at, COALESCE(a.overdue, 0), a.handle_due_at, a.contacted_at, a.contact_due_at, a.returned_at
	FROM (SELECT MAX(x.id) AS id FROM assignments x WHERE x.case_id = cases.id AND x.role = 'lead') l
	LEFT JOIN assignments a ON a.id = l.id
	LEFT JOIN units d ON d.id = a.dispatched_by_unit_id)`

// refreshLead recomputes the case's copy of its current lead assignment
// from the assignments, in the caller's transaction.
func refreshLead(ctx context.Context, tx *store.Tx, caseID int64) error {
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
		if _, err := tx.Exec(ctx, leadUpdate); err != nil {
			return fmt.Errorf("refresh leads: %w", err)
		}
		return nil
	})
}

// LeadStaff reports whether actor works at the case's lead unit itself: the
// unit of its current lead part (not one returned), not a unit below it. The
// lead's own actions (ScopeLead) and the reveal of the reporter's phone
// (internal/trust) both ask this, so they agree on who the lead unit is.
func LeadStaff(actor access.Actor, d *CaseDetail) bool {
	if actor.Anonymous() || actor.UnitID == 0 {
		return false
	}
	lead, ok := d.Lead()
	return ok && lead.PersonID == 0 && lead.UnitID == actor.UnitID
}

// CallCentreStaff reports whether actor is staff of the 12345 call centre
// (the settings casework.call_centre.units and .roles): the unit that takes
// calls in and calls requesters back at the revisit, so that it may search
// cases by a caller's number.
func (s *Service) CallCentreStaff(ctx context.Context, actor access.Actor) (bool, error) {
	set, err := loadSettings(ctx, s.db)
	if err != nil {
		return false, err
	}
	return set.callCentre(actor), nil
}

// CallCentreCase reports whether d is a case the call centre takes in (its
// flow opens at the call centre) and actor is the call centre's staff: they
// call the requester back, so they may reveal the requester's number.
func (s *Service) CallCentreCase(ctx context.Context, actor access.Actor, d *CaseDetail) (bool, error) {
	f, ok := s.Flow(d.Case.Flow)
	if !ok || f.OpenScope != ScopeCallCentre {
		return false, nil
	}
	return s.CallCentreStaff(ctx, actor)
}
