package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// querier is what both *store.DB and *store.Tx offer, with `?` placeholders.
type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func ptime(n sql.NullInt64) *time.Time {
	if !n.Valid || n.Int64 == 0 {
		return nil
	}
	t := time.UnixMilli(n.Int64).In(shanghai)
	return &t
}

func pfloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

const caseColumns = `c.id, c.no, c.flow, c.kind, c.request_type, COALESCE(c.category_id, 0), COALESCE(cat.code, ''), COALESCE(cat.name, ''),
	c.title, c.body, c.priority, c.channel, c.source, c.external_id, c.address, c.lng, c.lat,
	COALESCE(c.grid_unit_id, 0), COALESCE(g.code, ''), COALESCE(g.name, ''), COALESCE(g.path, ''),
	COALESCE(c.place_unit_id, 0), COALESCE(p.code, ''), COALESCE(p.name, ''), c.place_path,
	COALESCE(c.township_unit_id, 0), COALESCE(t.code, ''), COALESCE(t.name, ''),
	c.reporter_name, c.reporter_phone_last4, c.status,
	COALESCE(c.lead_unit_id, 0), COALESCE(l.code, ''), COALESCE(l.name, ''),
	COALESCE(c.created_by, 0), COALESCE(c.opened_by_unit_id, 0), COALESCE(o.code, ''), COALESCE(d.code, ''),
	c.handle_due_at, c.answered_at, c.answer, c.revisit_due_at, c.revisited_at, c.resolved, c.satisfaction,
	c.on_spot, c.extensions, c.reopens, c.supervisions, c.overdue, c.closed_at, c.data_json,
	c.resident_satisfaction, c.resident_rated_at, c.created_at, c.updated_at, c.version, c.matter_code`

const caseFrom = ` FROM cases c
	LEFT JOIN categories cat ON cat.id = c.category_id
	LEFT JOIN units d ON d.id = cat.dept_unit_id
	LEFT JOIN units g ON g.id = c.grid_unit_id
	LEFT JOIN units p ON p.id = c.place_unit_id
	LEFT JOIN units t ON t.id = c.township_unit_id
	LEFT JOIN units l ON l.id = c.lead_unit_id
	LEFT JOIN units o ON o.id = c.opened_by_unit_id`

func scanCase(sc interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var lng, lat sql.NullFloat64
	var handleDue, answered, revisitDue, revisited, closed, rated sql.NullInt64
	var resolved sql.NullInt64
	var onSpot, overdue int
	var created, updated int64
	err := sc.Scan(&c.ID, &c.No, &c.Flow, &c.Kind, &c.RequestType, &c.CategoryID, &c.CategoryCode, &c.CategoryName,
		&c.Title, &c.Body, &c.Priority, &c.Channel, &c.Source, &c.ExternalID, &c.Address, &lng, &lat,
		&c.GridUnitID, &c.GridCode, &c.GridName, &c.GridPath,
		&c.PlaceUnitID, &c.PlaceCode, &c.PlaceName, &c.PlacePath,
		&c.TownshipUnitID, &c.TownshipCode, &c.TownshipName,
		&c.ReporterName, &c.PhoneLast4, &c.Status,
		&c.LeadUnitID, &c.LeadUnitCode, &c.LeadUnitName,
		&c.CreatedBy, &c.OpenedByUnitID, &c.OpenedByCode, &c.ProposedDept,
		&handleDue, &answered, &c.Answer, &revisitDue, &revisited, &resolved, &c.Satisfaction,
		&onSpot, &c.Extensions, &c.Reopens, &c.Supervisions, &overdue, &closed, &c.DataJSON,
		&c.ResidentSatisfaction, &rated, &created, &updated, &c.Version, &c.MatterCode)
	if err != nil {
		return c, err
	}
	c.Lng, c.Lat = pfloat(lng), pfloat(lat)
	c.HandleDueAt, c.AnsweredAt, c.RevisitDueAt, c.RevisitedAt, c.ClosedAt = ptime(handleDue), ptime(answered), ptime(revisitDue), ptime(revisited), ptime(closed)
	c.ResidentRatedAt = ptime(rated)
	if resolved.Valid {
		v := resolved.Int64 == 1
		c.Resolved = &v
	}
	c.OnSpot, c.Overdue = onSpot == 1, overdue == 1
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).In(shanghai), time.UnixMilli(updated).In(shanghai)
	if c.PhoneLast4 != "" {
		c.PhoneMasked = "*******" + c.PhoneLast4
	}
	return c, nil
}

func loadCase(ctx context.Context, q querier, where string, args ...any) (Case, error) {
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE `+where, args...))
	if err != nil {
		if isNotFound(err) {
			return c, err
		}
		return c, fmt.Errorf("load case: %w", err)
	}
	return c, nil
}

const assignmentColumns = `a.id, a.case_id, a.unit_id, u.code, u.name, a.unit_path, COALESCE(a.person_id, 0), a.role, a.status,
	a.dispatched_at, COALESCE(a.dispatched_by, 0), COALESCE(du.path, ''), COALESCE(du.code, ''),
	a.sign_due_at, a.signed_at, a.report_due_at, a.reported_at, a.report_lng, a.report_lat,
	a.handle_due_at, a.answered_at, a.answer, a.returned_at, a.return_reason, a.extension_days, a.ext_requested_days,
	a.warned, a.overdue, a.escalated, a.rating, a.rating_note, a.closed_at, a.created_at, a.updated_at, COALESCE(pe.name, '')`

func loadAssignments(ctx context.Context, q querier, caseID int64) ([]Assignment, error) {
	rows, err := q.Query(ctx, `SELECT `+assignmentColumns+` FROM assignments a
		JOIN units u ON u.id = a.unit_id
		LEFT JOIN units du ON du.id = a.dispatched_by_unit_id
		LEFT JOIN people pe ON pe.id = a.person_id
		WHERE a.case_id = ? ORDER BY a.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		var dispatched, created, updated int64
		var signDue, signed, reportDue, reported, handleDue, answered, returned, closed sql.NullInt64
		var rlng, rlat sql.NullFloat64
		var warned, overdue, escalated int
		var rating sql.NullInt64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.UnitID, &a.UnitCode, &a.UnitName, &a.UnitPath, &a.PersonID, &a.Role, &a.Status,
			&dispatched, &a.DispatchedBy, &a.DispatcherPath, &a.DispatcherCode,
			&signDue, &signed, &reportDue, &reported, &rlng, &rlat,
			&handleDue, &answered, &a.Answer, &returned, &a.ReturnReason, &a.ExtensionDays, &a.ExtRequested,
			&warned, &overdue, &escalated, &rating, &a.RatingNote, &closed, &created, &updated, &a.PersonName); err != nil {
			return nil, fmt.Errorf("load assignments: %w", err)
		}
		a.DispatchedAt = time.UnixMilli(dispatched).In(shanghai)
		a.SignDueAt, a.SignedAt, a.ReportDueAt, a.ReportedAt = ptime(signDue), ptime(signed), ptime(reportDue), ptime(reported)
		a.HandleDueAt, a.AnsweredAt, a.ReturnedAt, a.ClosedAt = ptime(handleDue), ptime(answered), ptime(returned), ptime(closed)
		a.ReportLng, a.ReportLat = pfloat(rlng), pfloat(rlat)
		a.Warned, a.Overdue, a.Escalated = warned == 1, overdue == 1, escalated == 1
		if rating.Valid {
			r := int(rating.Int64)
			a.Rating = &r
		}
		a.CreatedAt, a.UpdatedAt = time.UnixMilli(created).In(shanghai), time.UnixMilli(updated).In(shanghai)
		out = append(out, a)
	}
	return out, rows.Err()
}

func loadEvents(ctx context.Context, q querier, caseID int64, publicOnly bool) ([]Event, error) {
	query := `SELECT e.id, e.case_id, COALESCE(e.assignment_id, 0), e.at, COALESCE(e.user_id, 0), e.actor_name,
		COALESCE(e.actor_unit_id, 0), COALESCE(u.name, ''), e.action, e.from_status, e.to_status, e.note, e.data_json, e.public, e.public_text
		FROM case_events e LEFT JOIN units u ON u.id = e.actor_unit_id WHERE e.case_id = ?`
	if publicOnly {
		query += ` AND e.public = 1`
	}
	rows, err := q.Query(ctx, query+` ORDER BY e.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var public int
		if err := rows.Scan(&e.ID, &e.CaseID, &e.AssignmentID, &at, &e.UserID, &e.ActorName, &e.ActorUnitID, &e.ActorUnit,
			&e.Action, &e.FromStatus, &e.ToStatus, &e.Note, &e.DataJSON, &public, &e.PublicText); err != nil {
			return nil, fmt.Errorf("load events: %w", err)
		}
		e.At = time.UnixMilli(at).In(shanghai)
		e.Public = public == 1
		if e.DataJSON != "" {
			_ = json.Unmarshal([]byte(e.DataJSON), &e.Data)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func loadAttachments(ctx context.Context, q querier, caseID int64) ([]Attachment, error) {
	rows, err := q.Query(ctx, `SELECT id, case_id, COALESCE(event_id, 0), name, content_type, size, sha256, storage_key, stage, COALESCE(created_by, 0), created_at
		FROM attachments WHERE case_id = ? ORDER BY id`, caseID)
	out, err := store.Collect(rows, err, scanAttachment)
	if err != nil {
		return nil, fmt.Errorf("load attachments: %w", err)
	}
	return out, nil
}

func scanAttachment(sc store.Scanner) (Attachment, error) {
	var a Attachment
	var created int64
	if err := sc.Scan(&a.ID, &a.CaseID, &a.EventID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.StorageKey, &a.Stage, &a.CreatedBy, &created); err != nil {
		return a, err
	}
	a.CreatedAt = time.UnixMilli(created).In(shanghai)
	return a, nil
}

func loadDeadlines(ctx context.Context, q querier, caseID int64) ([]Deadline, error) {
	rows, err := q.Query(ctx, `SELECT kind, COALESCE(assignment_id, 0), due_at FROM timers WHERE case_id = ? AND fired_at IS NULL ORDER BY due_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("load deadlines: %w", err)
	}
	defer rows.Close()
	var out []Deadline
	for rows.Next() {
		var d Deadline
		var due int64
		if err := rows.Scan(&d.Kind, &d.AssignmentID, &due); err != nil {
			return nil, fmt.Errorf("load deadlines: %w", err)
		}
		if _, ok := deadlineKinds[strings.TrimSuffix(strings.TrimSuffix(d.Kind, "_warn"), "_due")]; !ok {
			continue
		}
		d.DueAt = time.UnixMilli(due).In(shanghai)
		out = append(out, d)
	}
	return out, rows.Err()
}

// loadDetail reads a case and its parts; full adds events, attachments and
// pending deadlines.
func loadDetail(ctx context.Context, q querier, full bool, where string, args ...any) (CaseDetail, error) {
	var d CaseDetail
	c, err := loadCase(ctx, q, where, args...)
	if err != nil {
		return d, err
	}
	d.Case = c
	if d.Assignments, err = loadAssignments(ctx, q, c.ID); err != nil {
		return d, err
	}
	if d.Attachments, err = loadAttachments(ctx, q, c.ID); err != nil {
		return d, err
	}
	if !full {
		return d, nil
	}
	if d.Events, err = loadEvents(ctx, q, c.ID, false); err != nil {
		return d, err
	}
	if d.Deadlines, err = loadDeadlines(ctx, q, c.ID); err != nil {
		return d, err
	}
	return d, nil
}

// CanSee reports whether actor may see the case: county-wide users and
// supervisors see every case; others see it when its place or grid lies in
// their subtree, when one of its parts is assigned in their subtree, or when
// they (or their unit) opened it.
func CanSee(actor access.Actor, d *CaseDetail) bool {
	if actor.Anonymous() {
		return false
	}
	if actor.CountyWide() || actor.Has(access.RoleSupervisor) {
		return true
	}
	c := &d.Case
	if (c.CreatedBy != 0 && c.CreatedBy == actor.UserID) || (c.OpenedByUnitID != 0 && c.OpenedByUnitID == actor.UnitID) {
		return true
	}
	if c.PlacePath != "" && actor.SeesPath(c.PlacePath) {
		return true
	}
	if c.GridPath != "" && actor.SeesPath(c.GridPath) {
		return true
	}
	for _, a := range d.Assignments {
		if actor.SeesPath(a.UnitPath) {
			return true
		}
	}
	return false
}

func caseNotFound(no string) error {
	return store.NotFoundf("找不到工单 %s，或您无权查看", no)
}

// Get returns a case with its parts, timeline, attachments and pending
// deadlines, when actor may see it.
func (s *Service) Get(ctx context.Context, actor access.Actor, no string) (CaseDetail, error) {
	no = strings.TrimSpace(no)
	d, err := loadDetail(ctx, s.db, true, "c.no = ?", no)
	if err != nil {
		if isNotFound(err) {
			return d, caseNotFound(no)
		}
		return d, err
	}
	if !CanSee(actor, &d) {
		return CaseDetail{}, caseNotFound(no)
	}
	if err := s.fillReturnBy(ctx, &d); err != nil {
		return d, err
	}
	// Empty lists, not null, for the API and templates.
	if d.Assignments == nil {
		d.Assignments = []Assignment{}
	}
	if d.Events == nil {
		d.Events = []Event{}
	}
	if d.Attachments == nil {
		d.Attachments = []Attachment{}
	}
	if d.Deadlines == nil {
		d.Deadlines = []Deadline{}
	}
	return d, nil
}

// fillReturnBy sets, on each part that may still be returned, the moment the
// return period ends.
func (s *Service) fillReturnBy(ctx context.Context, d *CaseDetail) error {
	set, err := loadSettings(ctx, s.db)
	if err != nil {
		return err
	}
	d.set = set
	need := false
	for _, a := range d.Assignments {
		if a.Open() {
			need = true
		}
	}
	if !need {
		return nil
	}
	cal, err := s.calendar(ctx)
	if err != nil {
		return err
	}
	l, err := s.caseLimit(set, "return", &d.Case)
	if err != nil {
		return err
	}
	for i := range d.Assignments {
		if d.Assignments[i].Open() {
			t := cal.Add(d.Assignments[i].DispatchedAt, l).In(shanghai)
			d.Assignments[i].ReturnBy = &t
		}
	}
	return nil
}
