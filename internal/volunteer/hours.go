package volunteer

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Entry is one service entry as a record shows it.
type Entry struct {
	ID              int64     `json:"id"`
	Layer           string    `json:"layer"`  // verified or backfilled
	Status          string    `json:"status"` // pending, approved or rejected
	Source          string    `json:"source"` // whistle, activity or manual
	SourceRef       string    `json:"source_ref"`
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	Minutes         int       `json:"minutes"`
	ActivityMinutes int       `json:"activity_minutes"`
	Place           string    `json:"place"`
	Content         string    `json:"content"`
	OrgUnit         string    `json:"organiser"`
	Recorder        string    `json:"recorder"`
	Reason          string    `json:"reason,omitempty"`
	Approver        string    `json:"approver,omitempty"`
	Counts          bool      `json:"counts"`
	History         []Change  `json:"history"`
}

// Change is one line of an entry's history.
type Change struct {
	Kind       string    `json:"kind"`
	Actor      string    `json:"actor"`
	Note       string    `json:"note,omitempty"`
	OldMinutes *int      `json:"old_minutes,omitempty"`
	NewMinutes *int      `json:"new_minutes,omitempty"`
	At         time.Time `json:"at"`
}

// Hours is a volunteer's record: the two layers summed apart, the minutes
// that count towards stars, and the entries newest first.
type Hours struct {
	Volunteer Volunteer `json:"volunteer"`
	// VerifiedMinutes sums verified entries; BackfilledMinutes approved
	// back-filled ones; PendingMinutes those awaiting approval.
	VerifiedMinutes   int     `json:"verified_minutes"`
	BackfilledMinutes int     `json:"backfilled_minutes"`
	PendingMinutes    int     `json:"pending_minutes"`
	CountedMinutes    int     `json:"counted_minutes"`
	Times             int     `json:"times"`
	Star              int     `json:"star"`
	Entries           []Entry `json:"entries"`
}

// HoursText formats minutes as hours with one decimal.
func HoursText(minutes int) string { return fmt.Sprintf("%.1f", float64(minutes)/60) }

// Hours returns a person's record. Anyone who sees the record's unit, the
// organising units' staff, or the system may read it.
func (s *Service) Hours(ctx context.Context, actor access.Actor, personID int64) (Hours, error) {
	var h Hours
	v, err := volunteerOf(ctx, s.db, personID)
	if err != nil {
		return h, err
	}
	h.Volunteer = v
	rows, err := s.db.Query(ctx, `SELECT e.id, e.layer, e.status, e.source, e.source_ref, e.started_at, e.ended_at, e.minutes,
		e.activity_minutes, e.place, e.content, u.name, u.path, e.recorder, e.reason, e.approver, e.counts
		FROM volunteer_entries e JOIN units u ON u.id = e.org_unit_id WHERE e.volunteer_id = ? ORDER BY e.started_at DESC, e.id DESC`, v.ID)
	type row struct {
		Entry
		path string
	}
	all, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
		var r row
		var st, en int64
		err := sc.Scan(&r.ID, &r.Layer, &r.Status, &r.Source, &r.SourceRef, &st, &en, &r.Minutes, &r.ActivityMinutes,
			&r.Place, &r.Content, &r.OrgUnit, &r.path, &r.Recorder, &r.Reason, &r.Approver, &r.Counts)
		r.StartedAt, r.EndedAt = store.Time(st).In(shanghai), store.Time(en).In(shanghai)
		return r, err
	})
	if err != nil {
		return h, fmt.Errorf("entries of person %d: %w", personID, err)
	}
	seen := actor.SeesPath(v.UnitPath)
	for _, r := range all {
		seen = seen || actor.SeesPath(r.path)
	}
	if !seen {
		return Hours{}, store.Forbidden("无权查看该志愿者的服务记录")
	}
	idx := map[int64]int{}
	for _, r := range all {
		e := r.Entry
		switch {
		case e.Layer == Verified:
			h.VerifiedMinutes += e.Minutes
			h.Times++
		case e.Status == "approved":
			h.BackfilledMinutes += e.Minutes
			h.Times++
		case e.Status == "pending":
			h.PendingMinutes += e.Minutes
		}
		if e.Counts && e.Status == "approved" {
			h.CountedMinutes += e.Minutes
		}
		e.History = []Change{}
		idx[e.ID] = len(h.Entries)
		h.Entries = append(h.Entries, e)
	}
	if h.Entries == nil {
		h.Entries = []Entry{}
	}
	hrows, err := s.db.Query(ctx, `SELECT h.entry_id, h.kind, h.actor, h.note, h.old_minutes, h.new_minutes, h.at FROM volunteer_entry_history h
		JOIN volunteer_entries e ON e.id = h.entry_id WHERE e.volunteer_id = ? ORDER BY h.id`, v.ID)
	type hrow struct {
		entry int64
		Change
	}
	hs, err := store.Collect(hrows, err, func(sc store.Scanner) (hrow, error) {
		var r hrow
		var at int64
		err := sc.Scan(&r.entry, &r.Kind, &r.Actor, &r.Note, &r.OldMinutes, &r.NewMinutes, &at)
		r.At = store.Time(at).In(shanghai)
		return r, err
	})
	if err != nil {
		return h, fmt.Errorf("history of person %d: %w", personID, err)
	}
	for _, r := range hs {
		if i, ok := idx[r.entry]; ok {
			h.Entries[i].History = append(h.Entries[i].History, r.Change)
		}
	}
	if h.Star, err = s.star(ctx, v.ID); err != nil {
		return h, err
	}
	return h, nil
}

// Totals sums, for the organising units under unitPath (a materialised
// path; "" is the whole county), the verified and approved back-filled
// minutes served and the good deeds done in [from, to).
func (s *Service) Totals(ctx context.Context, unitPath string, from, to time.Time) (verifiedMin, backfilledMin, deeds int, err error) {
	if unitPath == "" {
		unitPath = "/"
	}
	lo, hi := access.PathRange(unitPath)
	err = s.db.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN layer = 'verified' THEN minutes ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN layer = 'backfilled' AND status = 'approved' THEN minutes ELSE 0 END), 0)
		FROM volunteer_entries WHERE org_path >= ? AND org_path < ? AND started_at >= ? AND started_at < ?`,
		lo, hi, store.Millis(from), store.Millis(to)).Scan(&verifiedMin, &backfilledMin)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("volunteer totals under %q: %w", unitPath, err)
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM good_deeds WHERE unit_path >= ? AND unit_path < ? AND done_at >= ? AND done_at < ?`,
		lo, hi, store.Millis(from), store.Millis(to)).Scan(&deeds)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("good deeds under %q: %w", unitPath, err)
	}
	return verifiedMin, backfilledMin, deeds, nil
}

// Text formats minutes as hours with one decimal (for the pages).
func (h Hours) Text(minutes int) string { return HoursText(minutes) }

// Hours is the entry's time in hours, one decimal.
func (e Entry) Hours() string { return HoursText(e.Minutes) }

// Row is one volunteer in a list.
type Row struct {
	PersonID          int64  `json:"person_id"`
	No                string `json:"volunteer_no"`
	Name              string `json:"name"`
	UnitName          string `json:"unit_name"`
	VerifiedMinutes   int    `json:"verified_minutes"`
	BackfilledMinutes int    `json:"backfilled_minutes"`
	Certificates      int    `json:"certificates"`
}

// List returns the volunteers whose record is kept in the actor's subtree,
// most verified hours first, at most limit.
func (s *Service) List(ctx context.Context, actor access.Actor, limit int) ([]Row, error) {
	where, args := actor.SubtreeFilter("u.path")
	args = append(args, limit)
	rows, err := s.db.Query(ctx, `SELECT w.person_id, w.volunteer_no, p.name, u.name,
		COALESCE((SELECT SUM(e.minutes) FROM volunteer_entries e WHERE e.volunteer_id = w.id AND e.layer = 'verified'), 0) AS verified,
		COALESCE((SELECT SUM(e.minutes) FROM volunteer_entries e WHERE e.volunteer_id = w.id AND e.layer = 'backfilled' AND e.status = 'approved'), 0),
		(SELECT COUNT(*) FROM volunteer_certificates k WHERE k.volunteer_id = w.id)
		FROM volunteers w JOIN people p ON p.id = w.person_id JOIN units u ON u.id = w.unit_id
		WHERE `+where+` ORDER BY verified DESC, w.id LIMIT ?`, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (Row, error) {
		var r Row
		return r, sc.Scan(&r.PersonID, &r.No, &r.Name, &r.UnitName, &r.VerifiedMinutes, &r.BackfilledMinutes, &r.Certificates)
	})
	if err != nil {
		return nil, fmt.Errorf("volunteers: %w", err)
	}
	return out, nil
}

// Hours is the row's verified time in hours, one decimal.
func (r Row) Hours() string { return HoursText(r.VerifiedMinutes) }

// BackfilledHours is the row's approved back-filled time in hours.
func (r Row) BackfilledHours() string { return HoursText(r.BackfilledMinutes) }
