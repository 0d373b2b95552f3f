package volunteer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// Attendee is one person on a signed-off activity's roster with the time
// they signed in and out.
type Attendee struct {
	PersonID int64
	In, Out  time.Time
}

// DeedOf is the good deed an activity did, when it solved a resident's
// problem: done by a member (DoerPersonID) or a unit (DoerUnitID).
type DeedOf struct {
	DoerPersonID int64
	DoerUnitID   int64
	Beneficiary  string
	Problem      string
	CaseNo       string
}

// Activity is a service activity the organiser signed off (internal/party
// hands it over in the sign-off's transaction).
type Activity struct {
	ID      int64
	Title   string
	Content string
	Place   string
	// UnitID is the organising unit (the community or the co-building
	// unit): it records and certifies.
	UnitID      int64
	SignedOffBy int64 // user id
	SignerName  string
	At          time.Time
	// Starts and Ends are the activity's time (zero: not known); an
	// attendee's rounded minutes never exceed its length.
	Starts, Ends time.Time
	Attendees    []Attendee
	Deed         *DeedOf
}

// SettingMinuteUnit is the unit, in minutes, that signed-in-and-out time is
// rounded to (default 15: the quarter hour; 1 keeps exact minutes).
const SettingMinuteUnit = "volunteer.minute_unit"

// DefaultMinuteUnit rounds to the quarter hour.
const DefaultMinuteUnit = 15

// ServiceMinutes is the verified service of an attendance of span at an
// activity of length (0: not known), in whole minutes: the span rounded to
// the nearest unit (half a unit or more goes up); within half a unit of the
// activity's length it is that length (there throughout, the phone's
// sign-in a little late), never more. An attendance under half a unit is
// 0: no service.
func ServiceMinutes(span, length time.Duration, unit int) int {
	if unit < 1 || unit > 60 {
		unit = DefaultMinuteUnit
	}
	u := time.Duration(unit) * time.Minute
	m := int((span+u/2)/u) * unit
	if l := int(length / time.Minute); length > 0 && (m > l || span+u/2 >= length) {
		m = l
	}
	return max(m, 0)
}

// ActivitySignedOff records, in tx, a verified entry for every attendee
// (their signed time, counted towards stars) and the activity's good deed
// when it has one. Signing the same activity off again records nothing new
// for attendees already recorded.
func (s *Service) ActivitySignedOff(ctx context.Context, tx *store.Tx, a Activity) error {
	u, err := unitOf(ctx, tx, a.UnitID)
	if err != nil {
		return err
	}
	content := clean(a.Content)
	if content == "" {
		content = clean(a.Title)
	}
	if content == "" {
		return store.Invalid("请填写服务内容")
	}
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	actor := access.Actor{UserID: a.SignedOffBy, Name: a.SignerName}
	ref := strconv.FormatInt(a.ID, 10)
	unit, err := settings.Int(ctx, tx, SettingMinuteUnit, DefaultMinuteUnit)
	if err != nil {
		return fmt.Errorf("setting %s: %w", SettingMinuteUnit, err)
	}
	var length time.Duration
	if !a.Starts.IsZero() && a.Ends.After(a.Starts) {
		length = a.Ends.Sub(a.Starts)
	}
	for _, p := range a.Attendees {
		if !p.Out.After(p.In) {
			return store.Invalid("签退时间须晚于签到时间")
		}
		minutes := ServiceMinutes(p.Out.Sub(p.In), length, unit)
		if minutes == 0 {
			continue // under half a unit: no service to record
		}
		// A correction may ask for up to the activity's length.
		activityMinutes := max(minutes, int(length/time.Minute))
		vid, err := ensure(ctx, tx, p.PersonID, a.UnitID, at)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO volunteer_entries (volunteer_id, layer, status, source, source_ref, started_at, ended_at,
			minutes, activity_minutes, place, content, org_unit_id, org_path, recorder, recorder_user_id, approver, approved_at, counts, created_at)
			VALUES (?, 'verified', 'approved', 'activity', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
			ON CONFLICT DO NOTHING RETURNING id`,
			vid, ref, store.Millis(p.In), store.Millis(p.Out), minutes, activityMinutes, clean(a.Place), content, u.ID, u.Path,
			actor.Recorded(), store.NullID(a.SignedOffBy), actor.Recorded(), store.Millis(at), store.Millis(at)).Scan(&id)
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			continue // already recorded
		}
		if err != nil {
			return fmt.Errorf("entry of activity %d for person %d: %w", a.ID, p.PersonID, store.Normalize(err))
		}
		if err := history(ctx, tx, id, "recorded", actor, "活动签退确认", nil, minutes, at); err != nil {
			return err
		}
	}
	if a.Deed != nil {
		d := Deed{DoerPersonID: a.Deed.DoerPersonID, DoerUnitID: a.Deed.DoerUnitID, Beneficiary: a.Deed.Beneficiary,
			Problem: a.Deed.Problem, CaseNo: a.Deed.CaseNo, UnitID: a.UnitID, DoneAt: at, ConfirmedAs: "community",
			SourceRef: "activity:" + ref}
		if _, err := s.recordDeed(ctx, tx, actor, d); err != nil {
			return err
		}
	}
	return nil
}

// WhistlePart is a person's part in a whistle whose result the whistler
// accepted: the whistle is the activity, the whistler's acceptance the
// organiser's confirmation.
type WhistlePart struct {
	PersonID, CaseID, AssignmentID int64
	// UnitID is where it was served (the organising body of the record).
	UnitID     int64
	Start, End time.Time
	At         time.Time
	Minutes    int
}

// Whistle records a whistle part as a verified entry, in the engine's
// transaction.
func (s *Service) Whistle(ctx context.Context, tx *store.Tx, p WhistlePart) error {
	u, err := unitOf(ctx, tx, p.UnitID)
	if err != nil {
		return err
	}
	vid, err := ensure(ctx, tx, p.PersonID, p.UnitID, p.At)
	if err != nil {
		return err
	}
	var no, title string
	if err := tx.QueryRow(ctx, `SELECT no, title FROM cases WHERE id = ?`, p.CaseID).Scan(&no, &title); err != nil {
		return fmt.Errorf("case %d: %w", p.CaseID, store.Normalize(err))
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO volunteer_entries (volunteer_id, layer, status, source, source_ref, assignment_id, case_id,
		started_at, ended_at, minutes, activity_minutes, place, content, org_unit_id, org_path, recorder, approver, approved_at, counts, created_at)
		VALUES (?, 'verified', 'approved', 'whistle', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '吹哨报到', '吹哨人确认', ?, 1, ?) RETURNING id`,
		vid, no, p.AssignmentID, p.CaseID, store.Millis(p.Start), store.Millis(p.End), p.Minutes, p.Minutes, u.Name, title,
		u.ID, u.Path, store.Millis(p.At), store.Millis(p.At)).Scan(&id)
	if err != nil {
		return fmt.Errorf("entry of part %d: %w", p.AssignmentID, store.Normalize(err))
	}
	return history(ctx, tx, id, "recorded", access.System, "吹哨人确认结果", nil, p.Minutes, p.At)
}

// BackFill is an entry entered after the fact.
type BackFill struct {
	PersonID int64
	// UnitID is the organising unit; Start and End bound the activity.
	UnitID     int64
	Start, End time.Time
	Minutes    int
	Place      string
	Content    string
	Reason     string
}

// BackFill records a back-filled entry awaiting approval; it does not
// count until approved and promoted.
func (s *Service) BackFill(ctx context.Context, actor access.Actor, b BackFill) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitOf(ctx, tx, b.UnitID)
		if err != nil {
			return err
		}
		if !organiser(actor, u.Path) {
			return store.Forbiddenf("只有组织单位（%s）或其上级的工作人员可以补录服务时长", u.Name)
		}
		switch {
		case clean(b.Content) == "":
			return store.Invalid("请填写服务内容")
		case clean(b.Reason) == "":
			return store.Invalid("请填写补录原因")
		case !b.End.After(b.Start):
			return store.Invalid("活动结束时间须晚于开始时间")
		case b.Minutes <= 0:
			return store.Invalid("补录时长须大于0分钟")
		case !b.End.Before(s.now().Add(time.Minute)):
			return store.Invalid("不能补录尚未结束的活动")
		}
		length := int(b.End.Sub(b.Start) / time.Minute)
		if b.Minutes > length {
			return store.Invalidf("补录时长%d分钟超过活动时长%d分钟", b.Minutes, length)
		}
		now := s.now()
		vid, err := ensure(ctx, tx, b.PersonID, b.UnitID, now)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO volunteer_entries (volunteer_id, layer, status, source, started_at, ended_at, minutes,
			activity_minutes, place, content, org_unit_id, org_path, recorder, recorder_user_id, reason, counts, created_at)
			VALUES (?, 'backfilled', 'pending', 'manual', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id`,
			vid, store.Millis(b.Start), store.Millis(b.End), b.Minutes, length, clean(b.Place), clean(b.Content), u.ID, u.Path,
			actor.Recorded(), store.NullID(actor.UserID), clean(b.Reason), store.Millis(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("back-fill for person %d: %w", b.PersonID, store.Normalize(err))
		}
		return history(ctx, tx, id, "backfilled", actor, clean(b.Reason), nil, b.Minutes, now)
	})
	return id, err
}

// entryRow is what the approval and correction rules read of an entry.
type entryRow struct {
	ID, RecorderUser     int64
	Layer, Status, Path  string
	Minutes, ActivityMin int
	Counts               bool
}

func entryByID(ctx context.Context, tx *store.Tx, id int64) (entryRow, error) {
	var e entryRow
	var rec *int64
	err := tx.QueryRow(ctx, `SELECT id, layer, status, org_path, minutes, activity_minutes, counts, recorder_user_id FROM volunteer_entries WHERE id = ?`, id).
		Scan(&e.ID, &e.Layer, &e.Status, &e.Path, &e.Minutes, &e.ActivityMin, &e.Counts, &rec)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return e, store.NotFoundf("没有服务记录 %d", id)
		}
		return e, fmt.Errorf("entry %d: %w", id, err)
	}
	if rec != nil {
		e.RecorderUser = *rec
	}
	return e, nil
}

// Approve decides a back-filled entry: approved or rejected, and when
// approved with promote, it counts towards stars. The approver must be an
// organiser other than who entered it.
func (s *Service) Approve(ctx context.Context, actor access.Actor, entryID int64, approve, promote bool, note string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		e, err := entryByID(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if !organiser(actor, e.Path) {
			return store.Forbidden("只有组织单位或其上级的工作人员可以审核补录")
		}
		if e.Layer != Backfilled || e.Status != "pending" {
			return store.Invalid("这条记录不是待审核的补录")
		}
		if !actor.System && actor.UserID == e.RecorderUser {
			return store.Invalid("补录人不能审核自己补录的时长")
		}
		status, kind, counts := "rejected", "rejected", 0
		if approve {
			status, kind = "approved", "approved"
			if promote {
				kind, counts = "promoted", 1
			}
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE volunteer_entries SET status = ?, counts = ?, approver = ?, approved_at = ? WHERE id = ?`,
			status, counts, actor.Recorded(), store.Millis(now), e.ID); err != nil {
			return fmt.Errorf("approve entry %d: %w", e.ID, store.Normalize(err))
		}
		return history(ctx, tx, e.ID, kind, actor, clean(note), nil, nil, now)
	})
}

// AskCorrection files a volunteer's request to correct an entry.
// wantMinutes 0 asks for no change of time (the text says what is wrong).
func (s *Service) AskCorrection(ctx context.Context, actor access.Actor, entryID int64, reason string, wantMinutes int) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		e, err := entryByID(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if actor.Anonymous() {
			return store.Forbidden("请先登录")
		}
		if clean(reason) == "" {
			return store.Invalid("请说明需要更正的内容")
		}
		if wantMinutes < 0 || wantMinutes > e.ActivityMin {
			return store.Invalidf("更正后的时长须在0至%d分钟之间（活动时长）", e.ActivityMin)
		}
		var want any
		if wantMinutes > 0 {
			want = wantMinutes
		}
		now := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO volunteer_corrections (entry_id, asked_by, reason, want_minutes, status, asked_at)
			VALUES (?, ?, ?, ?, 'open', ?) RETURNING id`, e.ID, actor.Recorded(), clean(reason), want, store.Millis(now)).Scan(&id); err != nil {
			return fmt.Errorf("correction of entry %d: %w", e.ID, store.Normalize(err))
		}
		return history(ctx, tx, e.ID, "correction_asked", actor, clean(reason), nil, want, now)
	})
	return id, err
}

// Correct decides a correction request: the organiser verifies it and
// either corrects the entry to minutes or refuses, saying why.
func (s *Service) Correct(ctx context.Context, actor access.Actor, correctionID int64, accept bool, minutes int, note string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var entryID int64
		var status string
		err := tx.QueryRow(ctx, `SELECT entry_id, status FROM volunteer_corrections WHERE id = ?`, correctionID).Scan(&entryID, &status)
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return store.NotFoundf("没有更正申请 %d", correctionID)
		}
		if err != nil {
			return fmt.Errorf("correction %d: %w", correctionID, err)
		}
		e, err := entryByID(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if !organiser(actor, e.Path) {
			return store.Forbidden("只有组织单位或其上级的工作人员可以更正服务记录")
		}
		if status != "open" {
			return store.Invalid("这条更正申请已处理")
		}
		if clean(note) == "" {
			return store.Invalid("请填写核实意见")
		}
		now := s.now()
		decision, kind := "refused", "correction_refused"
		var oldMin, newMin any
		if accept {
			if minutes <= 0 || minutes > e.ActivityMin {
				return store.Invalidf("更正后的时长须在1至%d分钟之间（活动时长）", e.ActivityMin)
			}
			decision, kind, oldMin, newMin = "corrected", "corrected", e.Minutes, minutes
			if _, err := tx.Exec(ctx, `UPDATE volunteer_entries SET minutes = ? WHERE id = ?`, minutes, e.ID); err != nil {
				return fmt.Errorf("correct entry %d: %w", e.ID, store.Normalize(err))
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE volunteer_corrections SET status = ?, decided_by = ?, decision = ?, decided_at = ? WHERE id = ?`,
			decision, actor.Recorded(), clean(note), store.Millis(now), correctionID); err != nil {
			return fmt.Errorf("decide correction %d: %w", correctionID, store.Normalize(err))
		}
		return history(ctx, tx, e.ID, kind, actor, clean(note), oldMin, newMin, now)
	})
}
