package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// deadlineKind says where a deadline's due time lives and what passing it
// means.
type deadlineKind struct {
	// onCase deadlines are the case's own (revisit, check); others belong to
	// an assignment.
	onCase bool
	// column holds the due time (on assignments, or on cases when onCase).
	column string
	// overdue marks the part and the case overdue (超期) when it passes;
	// a late signature or a late revisit is recorded and escalated, but is
	// not handling overdue.
	overdue bool
	// timers: false for limits that are only checked (return).
	timers bool
}

// deadlineKinds are the deadlines the engine knows. Flows start and stop them
// by name.
var deadlineKinds = map[string]deadlineKind{
	"sign":      {column: "sign_due_at", timers: true},
	"handle":    {column: "handle_due_at", overdue: true, timers: true},
	"report_in": {column: "report_due_at", overdue: true, timers: true},
	"revisit":   {onCase: true, column: "revisit_due_at", timers: true},
	"check":     {onCase: true, column: "revisit_due_at", timers: true},
	"return":    {},
	// contact: the lead's first call to the requester (先行联系, 响应率) is
	// due by then; only checked by the figures, never a timer.
	"contact": {column: "contact_due_at"},
}

// Settings keys (in the settings table) that configure the engine. Limits are
// written "30m" (working minutes), "2wh" (working hours), "5d" (working days)
// or "24h" (natural hours). A limit is looked up as
// casework.limit.<deadline>.category.<code>[.<priority>], then
// casework.limit.<deadline>.type.<request type>[.<priority>], then
// casework.limit.<deadline>.<flow>.<priority>, then
// casework.limit.<deadline>.<priority>, then casework.limit.<deadline>, then
// the built-in default below.
const (
	SettingLimitPrefix      = "casework.limit."
	SettingExtensionMaxDays = "casework.extension.max_days"  // default 10
	SettingExtensionMax     = "casework.extension.max_count" // default 1
	SettingWarnFraction     = "casework.warn.fraction"       // default 0.8: warn when 80% of the span has passed
	SettingSupervisionUnit  = "casework.supervision_unit"    // default <county code>D000 (督查室)
)

// defaultLimits are the built-in limits by deadline, then priority ("" for
// any priority).
var defaultLimits = map[string]map[string]string{
	"sign":      {PriorityUrgent: "30m", "": "120m"},
	"handle":    {PriorityUrgent: "24h", PriorityNormal: "5d", PriorityComplex: "15d", "": "5d"},
	"report_in": {PriorityUrgent: "30m", "": "120m"},
	"return":    {"": "2d"},
	"contact":   {PriorityUrgent: "2wh", "": "1d"},
	"revisit":   {"": "1d"},
	"check":     {"": "1d"},
}

// ParseLimit reads a limit written "30m", "2wh", "5d", "24h" or "90s"
// (natural seconds, for drills and tests).
func ParseLimit(s string) (worktime.Limit, error) {
	s = strings.TrimSpace(s)
	unit := strings.TrimLeft(s, "0123456789")
	n, err := strconv.Atoi(strings.TrimSuffix(s, unit))
	if err != nil || n <= 0 {
		return worktime.Limit{}, fmt.Errorf("time limit %q: want a positive number followed by m, wh, d or h", s)
	}
	switch unit {
	case "m":
		return worktime.Limit{Minutes: n}, nil
	case "wh":
		return worktime.Limit{Minutes: 60 * n}, nil
	case "d":
		return worktime.Limit{Days: n}, nil
	case "h":
		return worktime.Limit{Natural: time.Duration(n) * time.Hour}, nil
	case "s":
		// Natural seconds: for drills and tests of escalation, not real limits.
		return worktime.Limit{Natural: time.Duration(n) * time.Second}, nil
	}
	return worktime.Limit{}, fmt.Errorf("time limit %q: unit must be m, wh, d, h or s", s)
}

// settings are the engine's settings as read at the start of one action.
type settings map[string]string

func loadSettings(ctx context.Context, q querier) (settings, error) {
	rows, err := q.Query(ctx, `SELECT key, value FROM settings WHERE key LIKE 'casework.%'`)
	if err != nil {
		return nil, fmt.Errorf("read case settings: %w", err)
	}
	defer rows.Close()
	out := settings{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// limit returns the time limit of a deadline for a case of flow and priority.
func (st settings) limit(deadline, flow, priority string) (worktime.Limit, error) {
	for _, k := range []string{
		SettingLimitPrefix + deadline + "." + flow + "." + priority,
		SettingLimitPrefix + deadline + "." + priority,
		SettingLimitPrefix + deadline,
	} {
		if v, ok := st[k]; ok && strings.TrimSpace(v) != "" {
			l, err := ParseLimit(v)
			if err != nil {
				return worktime.Limit{}, fmt.Errorf("setting %s: %w", k, err)
			}
			return l, nil
		}
	}
	d := defaultLimits[deadline]
	v, ok := d[priority]
	if !ok {
		v = d[""]
	}
	return ParseLimit(v)
}

func (st settings) int(key string, def int) int {
	if v, err := strconv.Atoi(strings.TrimSpace(st[key])); err == nil && v >= 0 {
		return v
	}
	return def
}

func (st settings) warnFraction() float64 {
	if v, err := strconv.ParseFloat(strings.TrimSpace(st[SettingWarnFraction]), 64); err == nil && v > 0 && v < 1 {
		return v
	}
	return 0.8
}

// warnAt is when to warn before a deadline running from start to due: once
// the warn fraction (80%) of the span, counted in the limit's own time, has
// passed. For a 5-working-day limit that is after 4 working days; for 2
// working hours, after 96 working minutes.
func warnAt(cal Calendar, start, due time.Time, l worktime.Limit, fraction float64) time.Time {
	if l.Natural > 0 {
		return start.Add(time.Duration(float64(due.Sub(start)) * fraction))
	}
	span := cal.Between(start, due)
	mins := int(span.Minutes() * fraction)
	if mins <= 0 {
		return due
	}
	return cal.Add(start, worktime.Limit{Minutes: mins})
}

// timerPayload travels with a deadline's timers: the deadline it belongs to
// and its due time, so a stale timer (the deadline moved) does nothing.
type timerPayload struct {
	Deadline string `json:"deadline"`
	DueAt    int64  `json:"due_at"`
}

// schedule writes a deadline's due time and its warn and due timers.
func (x *actx) startDeadline(ctx context.Context, deadline string, a *Assignment, from time.Time, limit worktime.Limit) (time.Time, error) {
	k := deadlineKinds[deadline]
	due := x.cal.Add(from, limit)
	if k.onCase {
		if _, err := x.tx.Exec(ctx, `UPDATE cases SET `+k.column+` = ? WHERE id = ?`, store.Millis(due), x.c.ID); err != nil {
			return due, fmt.Errorf("set %s deadline: %w", deadline, err)
		}
		t := due
		switch k.column {
		case "revisit_due_at":
			x.c.RevisitDueAt = &t
		}
	} else {
		if a == nil {
			return due, fmt.Errorf("deadline %s needs an assignment", deadline)
		}
		if _, err := x.tx.Exec(ctx, `UPDATE assignments SET `+k.column+` = ?, warned = 0, updated_at = ? WHERE id = ?`, store.Millis(due), store.Millis(x.now), a.ID); err != nil {
			return due, fmt.Errorf("set %s deadline: %w", deadline, err)
		}
		if deadline == "handle" && a.Role == RoleLead {
			if _, err := x.tx.Exec(ctx, `UPDATE cases SET handle_due_at = ? WHERE id = ?`, store.Millis(due), x.c.ID); err != nil {
				return due, fmt.Errorf("set handle deadline: %w", err)
			}
			t := due
			x.c.HandleDueAt = &t
		}
	}
	if !k.timers {
		return due, nil
	}
	var aid int64
	if !k.onCase {
		aid = a.ID
	}
	if err := timers.Cancel(ctx, x.tx, x.c.ID, aid, deadline+"_warn", deadline+"_due"); err != nil {
		return due, fmt.Errorf("cancel %s timers: %w", deadline, err)
	}
	payload, _ := json.Marshal(timerPayload{Deadline: deadline, DueAt: store.Millis(due)})
	w := warnAt(x.cal, from, due, limit, x.set.warnFraction())
	if w.Before(due) && w.After(from) {
		if _, err := timers.Schedule(ctx, x.tx, timers.Timer{Kind: deadline + "_warn", CaseID: x.c.ID, AssignmentID: aid, DueAt: w, Payload: string(payload)}); err != nil {
			return due, fmt.Errorf("schedule %s warning: %w", deadline, err)
		}
	}
	if _, err := timers.Schedule(ctx, x.tx, timers.Timer{Kind: deadline + "_due", CaseID: x.c.ID, AssignmentID: aid, DueAt: due, Payload: string(payload)}); err != nil {
		return due, fmt.Errorf("schedule %s deadline: %w", deadline, err)
	}
	return due, nil
}

// stopDeadline cancels a deadline's timers.
func (x *actx) stopDeadline(ctx context.Context, deadline string, a *Assignment) error {
	k := deadlineKinds[deadline]
	if !k.timers {
		return nil
	}
	var aid int64
	if !k.onCase {
		if a == nil {
			return nil
		}
		aid = a.ID
	}
	if err := timers.Cancel(ctx, x.tx, x.c.ID, aid, deadline+"_warn", deadline+"_due"); err != nil {
		return fmt.Errorf("cancel %s timers: %w", deadline, err)
	}
	return nil
}

// TimerKinds lists every timer kind the engine handles, for registering on
// the sweeper.
func TimerKinds() []string {
	var out []string
	for _, name := range []string{"sign", "handle", "report_in", "revisit", "check"} {
		out = append(out, name+"_warn", name+"_due")
	}
	return out
}

// HandleTimer fires one of the engine's deadline timers inside the sweeper's
// transaction: a warning writes a `warn` event and marks the part warned; a
// due timer writes `overdue`, marks the part and the case overdue (for
// handling and report-in deadlines), and escalates to the supervising unit
// (`escalate`). Each is written once per timer (a unique index on the
// event's timer id), and a timer whose deadline has moved or been met does
// nothing.
func (s *Service) HandleTimer(ctx context.Context, tx *store.Tx, t timers.Timer) error {
	which := "warn"
	deadline, ok := strings.CutSuffix(t.Kind, "_warn")
	if !ok {
		which = "due"
		if deadline, ok = strings.CutSuffix(t.Kind, "_due"); !ok {
			return fmt.Errorf("timer kind %q is not the case engine's", t.Kind)
		}
	}
	k, known := deadlineKinds[deadline]
	if !known {
		return fmt.Errorf("timer kind %q: unknown deadline", t.Kind)
	}
	var p timerPayload
	if t.Payload != "" {
		if err := json.Unmarshal([]byte(t.Payload), &p); err != nil {
			return fmt.Errorf("timer %d payload: %w", t.ID, err)
		}
	}
	var done int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM case_events WHERE timer_id = ?`, t.ID).Scan(&done); err != nil {
		return fmt.Errorf("timer %d: %w", t.ID, err)
	}
	if done > 0 {
		return nil // fired before
	}
	c, err := loadCase(ctx, tx, "c.id = ?", t.CaseID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if c.Closed() {
		return nil
	}
	var a *Assignment
	var current sql.NullInt64
	if k.onCase {
		if err := tx.QueryRow(ctx, `SELECT `+k.column+` FROM cases WHERE id = ?`, c.ID).Scan(&current); err != nil {
			return fmt.Errorf("timer %d: %w", t.ID, err)
		}
	} else {
		as, err := loadAssignments(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for i := range as {
			if as[i].ID == t.AssignmentID {
				a = &as[i]
			}
		}
		if a == nil || !a.Open() || a.Status == "returned" {
			return nil
		}
		if err := tx.QueryRow(ctx, `SELECT `+k.column+` FROM assignments WHERE id = ?`, a.ID).Scan(&current); err != nil {
			return fmt.Errorf("timer %d: %w", t.ID, err)
		}
	}
	if p.DueAt != 0 && (!current.Valid || current.Int64 != p.DueAt) {
		return nil // the deadline moved (extension, reopen) or was cleared
	}
	now := s.now()
	var aid int64
	unitPath := c.PlacePath
	if a != nil {
		aid = a.ID
		unitPath = a.UnitPath
	}
	data := map[string]any{"deadline": deadline, "due_at": time.UnixMilli(p.DueAt).In(shanghai).Format(time.RFC3339)}
	if which == "warn" {
		if err := insertEvent(ctx, tx, Event{CaseID: c.ID, AssignmentID: aid, At: now, ActorName: "system", Action: "warn", Data: data}, t.ID); err != nil {
			return err
		}
		if a != nil {
			if _, err := tx.Exec(ctx, `UPDATE assignments SET warned = 1, updated_at = ? WHERE id = ?`, store.Millis(now), a.ID); err != nil {
				return err
			}
		}
		return nil
	}
	if err := insertEvent(ctx, tx, Event{CaseID: c.ID, AssignmentID: aid, At: now, ActorName: "system", Action: "overdue", Data: data}, t.ID); err != nil {
		return err
	}
	if k.overdue {
		if a != nil {
			if _, err := tx.Exec(ctx, `UPDATE assignments SET overdue = 1, updated_at = ? WHERE id = ?`, store.Millis(now), a.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET overdue = 1, updated_at = ? WHERE id = ?`, store.Millis(now), c.ID); err != nil {
			return err
		}
		if err := refreshLead(ctx, tx, c.ID); err != nil {
			return err
		}
	}
	set, err := loadSettings(ctx, tx)
	if err != nil {
		return err
	}
	sup, err := supervisingUnit(ctx, tx, set, unitPath)
	if err != nil {
		return err
	}
	data["unit_code"], data["unit_name"] = sup.Code, sup.Name
	if err := insertEvent(ctx, tx, Event{CaseID: c.ID, AssignmentID: aid, At: now, ActorName: "system", ActorUnitID: sup.ID, Action: "escalate", Data: data}, t.ID); err != nil {
		return err
	}
	if a != nil {
		if _, err := tx.Exec(ctx, `UPDATE assignments SET escalated = 1, updated_at = ? WHERE id = ?`, store.Millis(now), a.ID); err != nil {
			return err
		}
	}
	s.log.InfoContext(ctx, "case deadline passed", "case_no", c.No, "deadline", deadline, "assignment_id", aid, "escalated_to", sup.Code)
	return nil
}

// supervisingUnit is where an overdue part escalates: the township for a
// community, village or grid (anything below a township); the county
// supervision office (督查室, 350722D000 or the setting) for townships, county
// departments and anything else; the county itself when there is no office.
func supervisingUnit(ctx context.Context, tx *store.Tx, set settings, path string) (unitRef, error) {
	ids := pathIDs(path)
	for i := len(ids) - 2; i >= 0; i-- { // ancestors, nearest first
		u, err := unitByID(ctx, tx, ids[i])
		if err != nil {
			return unitRef{}, err
		}
		if isTownshipKind(u.Kind) {
			return u, nil
		}
	}
	county, err := countyUnit(ctx, tx)
	if err != nil {
		return unitRef{}, err
	}
	code := set[SettingSupervisionUnit]
	if code == "" {
		code = countyCode(county.Code) + "D000"
	}
	u, err := unitByCode(ctx, tx, code)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return unitRef{}, err
	}
	return county, nil
}
