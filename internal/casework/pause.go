package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// A deadline can be paused and resumed: an outcome's Pauses stop its clock
// (the timers are cancelled, the due time cleared, the working time left
// kept in case_pauses) and its Resumes start it again with the time that was
// left. A service application waiting for the applicant's supplements is the
// first user; any flow may pause any deadline kind the engine knows.

// pauseResume applies the outcome's pauses and resumes on the target
// assignment (or the lead, for case actions).
func (x *actx) pauseResume(ctx context.Context, out Outcome, target *Assignment) error {
	if len(out.Pauses) == 0 && len(out.Resumes) == 0 {
		return nil
	}
	subject := target
	if subject == nil {
		if l, ok := x.lead(); ok {
			subject = l
		}
	}
	for _, k := range out.Pauses {
		if err := x.pauseDeadline(ctx, k, subject); err != nil {
			return err
		}
	}
	for _, k := range out.Resumes {
		if err := x.resumeDeadline(ctx, k, subject); err != nil {
			return err
		}
	}
	return nil
}

// pauseDeadline stops a deadline's clock, keeping the working minutes left.
// A deadline already paused, or not running, stays as it is.
func (x *actx) pauseDeadline(ctx context.Context, deadline string, a *Assignment) error {
	k := deadlineKinds[deadline]
	var aid int64
	var due sql.NullInt64
	var err error
	if k.onCase {
		err = x.tx.QueryRow(ctx, `SELECT `+k.column+` FROM cases WHERE id = ?`, x.c.ID).Scan(&due)
	} else {
		if a == nil {
			return nil
		}
		aid = a.ID
		err = x.tx.QueryRow(ctx, `SELECT `+k.column+` FROM assignments WHERE id = ?`, a.ID).Scan(&due)
	}
	if err != nil {
		return fmt.Errorf("pause %s: %w", deadline, err)
	}
	if !due.Valid {
		return nil
	}
	left := 0
	if d := time.UnixMilli(due.Int64); d.After(x.now) {
		left = int(x.cal.Between(x.now, d).Minutes())
	}
	if _, err := x.tx.Exec(ctx, `INSERT INTO case_pauses (case_id, assignment_id, deadline, paused_at, left_minutes) VALUES (?, ?, ?, ?, ?)`,
		x.c.ID, store.NullID(aid), deadline, store.Millis(x.now), left); err != nil {
		return fmt.Errorf("pause %s: %w", deadline, err)
	}
	if k.onCase {
		_, err = x.tx.Exec(ctx, `UPDATE cases SET `+k.column+` = NULL WHERE id = ?`, x.c.ID)
	} else {
		_, err = x.tx.Exec(ctx, `UPDATE assignments SET `+k.column+` = NULL, updated_at = ? WHERE id = ?`, store.Millis(x.now), a.ID)
		if err == nil && deadline == "handle" && a.Role == RoleLead {
			_, err = x.tx.Exec(ctx, `UPDATE cases SET handle_due_at = NULL WHERE id = ?`, x.c.ID)
			x.c.HandleDueAt = nil
		}
	}
	if err != nil {
		return fmt.Errorf("pause %s: %w", deadline, err)
	}
	if err := timers.Cancel(ctx, x.tx, x.c.ID, aid, deadline+"_warn", deadline+"_due"); err != nil {
		return fmt.Errorf("pause %s: cancel timers: %w", deadline, err)
	}
	return nil
}

// resumeDeadline starts a paused deadline again with the working time that
// was left when it stopped (at least one working minute).
func (x *actx) resumeDeadline(ctx context.Context, deadline string, a *Assignment) error {
	k := deadlineKinds[deadline]
	var aid int64
	if !k.onCase {
		if a == nil {
			return nil
		}
		aid = a.ID
	}
	var id int64
	var left int
	err := x.tx.QueryRow(ctx, `SELECT id, left_minutes FROM case_pauses WHERE case_id = ? AND deadline = ? AND resumed_at IS NULL
		AND COALESCE(assignment_id, 0) = ? ORDER BY id DESC LIMIT 1`, x.c.ID, deadline, aid).Scan(&id, &left)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // not paused
		}
		return fmt.Errorf("resume %s: %w", deadline, err)
	}
	if _, err := x.tx.Exec(ctx, `UPDATE case_pauses SET resumed_at = ? WHERE id = ?`, store.Millis(x.now), id); err != nil {
		return fmt.Errorf("resume %s: %w", deadline, err)
	}
	_, err = x.startDeadline(ctx, deadline, a, x.now, worktime.Limit{Minutes: max(left, 1)})
	return err
}

// PausedFor returns how long, in natural time, the case's deadlines have
// been paused in total (an open pause counts up to now).
func (s *Service) PausedFor(ctx context.Context, q store.Querier, caseID int64, now time.Time) (time.Duration, error) {
	var ms sql.NullInt64
	err := q.QueryRow(ctx, `SELECT SUM(COALESCE(resumed_at, ?) - paused_at) FROM case_pauses WHERE case_id = ?`,
		store.Millis(now), caseID).Scan(&ms)
	if err != nil {
		return 0, fmt.Errorf("paused time: %w", err)
	}
	return time.Duration(ms.Int64) * time.Millisecond, nil
}

// ownLimit reads a time limit the case carries itself: the object "limits"
// of its flow-specific data ({"limits": {"handle": "10d"}}), set at intake
// (a service item's promised limit). Such a limit wins over the settings.
func ownLimit(c *Case, deadline string) (worktime.Limit, bool, error) {
	if c == nil || !strings.Contains(c.DataJSON, `"limits"`) {
		return worktime.Limit{}, false, nil
	}
	var d struct {
		Limits map[string]string `json:"limits"`
	}
	if err := json.Unmarshal([]byte(c.DataJSON), &d); err != nil {
		return worktime.Limit{}, false, nil
	}
	v, ok := d.Limits[deadline]
	if !ok || strings.TrimSpace(v) == "" {
		return worktime.Limit{}, false, nil
	}
	l, err := ParseLimit(v)
	if err != nil {
		return worktime.Limit{}, false, fmt.Errorf("case %s limit %s: %w", c.No, deadline, err)
	}
	return l, true, nil
}
