package party

import (
	"context"
	"fmt"
	"math"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// Volunteer service (志愿服务) is recorded as work happens: a member's part
// in a community whistle, once the whistler accepts its result, credits the
// time from report-in to the result as a verified entry of the member's
// volunteer record (internal/volunteer), the whistle being the activity.
// The ledger is a view over those records, never a form filled in again.

// VolunteerRecord is one credited piece of volunteer service (verified or
// approved back-filled; CaseNo is the whistle's case or the activity).
type VolunteerRecord struct {
	CaseNo    string    `json:"case_no"`
	Title     string    `json:"title"`
	UnitName  string    `json:"unit_name"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Minutes   int       `json:"minutes"`
}

// VolunteerSummary is a person's volunteer service.
type VolunteerSummary struct {
	Times   int               `json:"times"`
	Minutes int               `json:"minutes"`
	Records []VolunteerRecord `json:"records"`
}

// Hours is the total in hours (one decimal).
func (v VolunteerSummary) Hours() string { return fmt.Sprintf("%.1f", float64(v.Minutes)/60) }

// Volunteer returns a person's credited volunteer service, newest first.
func (s *Service) Volunteer(ctx context.Context, personID int64) (VolunteerSummary, error) {
	var out VolunteerSummary
	rows, err := s.db.Query(ctx, `SELECT e.source_ref, e.content, u.name, e.started_at, e.ended_at, e.minutes FROM volunteer_entries e
		JOIN volunteers w ON w.id = e.volunteer_id JOIN units u ON u.id = e.org_unit_id
		WHERE w.person_id = ? AND e.status = 'approved' ORDER BY e.started_at DESC, e.id DESC`, personID)
	recs, err := store.Collect(rows, err, func(sc store.Scanner) (VolunteerRecord, error) {
		var r VolunteerRecord
		var st, en int64
		err := sc.Scan(&r.CaseNo, &r.Title, &r.UnitName, &st, &en, &r.Minutes)
		r.StartedAt, r.EndedAt = time.UnixMilli(st).In(shanghai), time.UnixMilli(en).In(shanghai)
		return r, err
	})
	if err != nil {
		return out, fmt.Errorf("volunteer hours of person %d: %w", personID, err)
	}
	for _, r := range recs {
		out.Times++
		out.Minutes += r.Minutes
	}
	out.Records = recs
	return out, nil
}

// Served credits a person's part whose result was accepted as volunteer
// service (casework.PartyRegistry), in the engine's transaction.
func (s *Service) Served(ctx context.Context, tx *store.Tx, p casework.ServedPart) (int, error) {
	minutes := VolunteerMinutes(p.End.Sub(p.Start))
	err := volunteer.New(s.db).Whistle(ctx, tx, volunteer.WhistlePart{PersonID: p.PersonID, CaseID: p.CaseID, AssignmentID: p.AssignmentID,
		UnitID: p.UnitID, Start: p.Start, End: p.End, At: p.At, Minutes: minutes})
	if err != nil {
		return 0, fmt.Errorf("volunteer hours of part %d: %w", p.AssignmentID, err)
	}
	return minutes, nil
}

// VolunteerMinutes turns the time a person spent on a part into the minutes
// of volunteer service credited: rounded up to the half hour, at least 30
// and at most 720 (a part left open overnight is not a day's service).
func VolunteerMinutes(d time.Duration) int {
	m := int(math.Ceil(float64(d)/float64(30*time.Minute))) * 30
	return min(max(m, 30), 720)
}
