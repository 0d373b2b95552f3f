package party

import (
	"context"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// VolunteerLedger is the volunteer service records (internal/volunteer) as
// the ledger sign-offs hand their service to.
func VolunteerLedger(v *volunteer.Service) ServiceLedger { return volunteerLedger{v} }

type volunteerLedger struct{ v *volunteer.Service }

func (l volunteerLedger) ActivitySignedOff(ctx context.Context, tx *store.Tx, a SignedOffActivity) error {
	va := volunteer.Activity{ID: a.ID, Title: a.Title, Content: a.Content, Place: a.Place, UnitID: a.OrganiserUnitID,
		SignedOffBy: a.SignedOffBy, At: a.At, Starts: a.StartsAt, Ends: a.EndsAt}
	for _, at := range a.Attendees {
		va.Attendees = append(va.Attendees, volunteer.Attendee{PersonID: at.PersonID, In: at.In, Out: at.Out})
	}
	if d := a.Deed; d != nil {
		va.Deed = &volunteer.DeedOf{DoerPersonID: d.DoerPersonID, DoerUnitID: d.DoerUnitID, Beneficiary: d.Beneficiary,
			Problem: d.Problem, CaseNo: d.CaseNo}
	}
	return l.v.ActivitySignedOff(ctx, tx, va)
}

func (l volunteerLedger) Totals(ctx context.Context, unitPath string, from, to time.Time) (int, int, int, error) {
	return l.v.Totals(ctx, unitPath, from, to)
}
