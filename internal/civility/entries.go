package civility

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// Sources of entries: work already recorded, never retyped.
const (
	SourceVolunteerHours = "volunteer_hours" // a verified volunteer service entry (internal/volunteer)
	SourceGoodDeed       = "good_deed"       // a confirmed good deed (internal/volunteer)
	SourceCase           = "case"            // a resolved case whose handling found uncivil behaviour
	SourcePatrol         = "patrol"          // a grid worker's patrol report
	SourceNomination     = "nomination"      // a community's nomination of a good deed
)

// Sources lists the sources in display order.
var Sources = []string{SourceVolunteerHours, SourceGoodDeed, SourceCase, SourcePatrol, SourceNomination}

// Statuses of an entry.
const (
	StatusRecorded  = "recorded"  // awaiting review
	StatusReviewed  = "reviewed"  // one reviewer approved; a second, different one must
	StatusNoticed   = "noticed"   // notice issued, appeal window open
	StatusAppealed  = "appealed"  // an appeal is being decided
	StatusEffective = "effective" // in force (points credited, record counts)
	StatusRejected  = "rejected"  // a reviewer refused it
	StatusWithdrawn = "withdrawn" // an appeal withdrew it
	StatusExpired   = "expired"   // its validity ended
	StatusRepaired  = "repaired"  // repaired early (信用修复)
)

// Statuses lists the statuses in the order an entry goes through them.
var Statuses = []string{StatusRecorded, StatusReviewed, StatusNoticed, StatusAppealed, StatusEffective, StatusRejected, StatusWithdrawn,
	StatusExpired, StatusRepaired}

// NewEntry is an entry to record.
type NewEntry struct {
	ItemCode   string    `json:"item"`
	PersonID   int64     `json:"person_id"`
	Source     string    `json:"source"`
	SourceRef  string    `json:"source_ref,omitempty"`
	Place      string    `json:"place"`
	OccurredAt time.Time `json:"occurred_at"`
	Evidence   string    `json:"evidence"`
	Demo       bool      `json:"-"`
	// minutes are a volunteer entry's verified minutes: the item's points
	// count per hour.
	minutes int
}

// Entry is an entry as the person and their reviewers read it.
type Entry struct {
	ID           int64     `json:"id"`
	Item         Item      `json:"item"`
	PersonID     int64     `json:"person_id"`
	PersonName   string    `json:"person_name"`
	UnitName     string    `json:"unit_name"`
	UnitPath     string    `json:"-"`
	Place        string    `json:"place"`
	OccurredAt   time.Time `json:"occurred_at"`
	Evidence     string    `json:"evidence"`
	Source       string    `json:"source"`
	SourceRef    string    `json:"source_ref,omitempty"`
	Status       string    `json:"status"`
	Points       int       `json:"points"`
	NoticeNo     string    `json:"notice_no,omitempty"`
	NoticedAt    time.Time `json:"noticed_at,omitzero"`
	WindowEndsAt time.Time `json:"window_ends_at,omitzero"`
	EffectiveAt  time.Time `json:"effective_at,omitzero"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	CloseReason  string    `json:"close_reason,omitempty"`
	AppealCaseNo string    `json:"appeal_case_no,omitempty"`
	AppealStatus string    `json:"appeal_status,omitempty"`
	Recorder     string    `json:"recorder"`
	RecorderID   int64     `json:"-"`
	Demo         bool      `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	Reviews      []Review  `json:"reviews"`
	History      []Change  `json:"history"`
}

// Review is one reviewer's decision.
type Review struct {
	UserID   int64     `json:"-"`
	Reviewer string    `json:"reviewer"`
	Decision string    `json:"decision"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// Change is a line of an entry's history.
type Change struct {
	Kind  string    `json:"kind"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// Record records an entry: staff of the person's community or township,
// or a grid worker of a grid in it. A positive entry from verified work
// (volunteer hours, a confirmed good deed) takes effect at once; every
// other entry waits for review.
func (s *Service) Record(ctx context.Context, actor access.Actor, in NewEntry) (Entry, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.record(ctx, tx, actor, in)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, id)
}

func (s *Service) record(ctx context.Context, tx *store.Tx, actor access.Actor, in NewEntry) (int64, error) {
	if actor.Anonymous() {
		return 0, store.Forbidden("请先登录")
	}
	in.Place, in.Evidence, in.SourceRef = clean(in.Place), clean(in.Evidence), clean(in.SourceRef)
	if !slices.Contains(Sources, in.Source) {
		return 0, store.Invalid("记录来源应为志愿服务时长、好人好事、案件办理、网格巡查或社区推荐")
	}
	it, err := currentItem(ctx, tx, clean(in.ItemCode))
	if err != nil {
		return 0, err
	}
	p, err := personOf(ctx, tx, in.PersonID)
	if err != nil {
		return 0, err
	}
	if !staffFor(actor, p.UnitPath, recorders...) {
		return 0, store.Forbiddenf("只有%s所在社区、乡镇的工作人员或网格员可以登记其文明行为", p.Name)
	}
	switch {
	case in.OccurredAt.IsZero():
		return 0, store.Invalid("请填写行为发生的时间")
	case in.OccurredAt.After(s.now().Add(time.Hour)):
		return 0, store.Invalid("行为发生时间不能晚于现在")
	case in.Place == "" || utf8.RuneCountInString(in.Place) > 200:
		return 0, store.Invalid("请填写行为发生的地点（最多200字）")
	case utf8.RuneCountInString(in.Evidence) > 2000:
		return 0, store.Invalid("证据说明不能超过2000字")
	}
	if it.Evidence != "" && in.Evidence == "" {
		return 0, store.Invalidf("条目“%s”须附证据：%s", it.Name, it.Evidence)
	}
	if it.Kind == Negative && in.Source != SourceCase && in.Source != SourcePatrol {
		return 0, store.Invalid("负面记录只能来自案件办理或网格巡查")
	}
	if it.Kind == Positive && in.Source == SourcePatrol && in.Evidence == "" {
		return 0, store.Invalid("请附证据")
	}
	points := it.Points
	if in.Source == SourceVolunteerHours {
		points = it.Points * in.minutes / 60
	}
	now := s.now()
	status := StatusRecorded
	if it.Kind == Positive && (in.Source == SourceVolunteerHours || in.Source == SourceGoodDeed) {
		status = StatusEffective
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO civility_entries (item_id, person_id, unit_id, unit_path, place, occurred_at, evidence, source, source_ref,
		status, points, recorder, recorder_user_id, demo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		it.ID, p.ID, p.UnitID, p.UnitPath, in.Place, store.Millis(in.OccurredAt), in.Evidence, in.Source, in.SourceRef, StatusRecorded,
		points, actor.Recorded(), store.NullID(actor.UserID), store.BoolInt(in.Demo), store.Millis(now)).Scan(&id)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrConflict) {
			return 0, store.Conflict("这项工作已经生成过文明行为记录")
		}
		return 0, fmt.Errorf("record entry: %w", err)
	}
	if err := history(ctx, tx, id, "recorded", actor, it.Code+" "+it.Name, now); err != nil {
		return 0, err
	}
	if status == StatusEffective {
		if err := s.takeEffect(ctx, tx, id, actor, now); err != nil {
			return 0, err
		}
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.entry.record", Entity: "civility_entry", EntityID: strconv.FormatInt(id, 10),
		After: map[string]any{"item": it.Code, "person_id": p.ID, "source": in.Source, "source_ref": in.SourceRef}})
}

// Review is a reviewer's decision on an entry awaiting review: community or
// township staff of the person, not its recorder, each person once. A
// positive entry needs one approval; a negative entry two, by different
// people, after which its notice is issued and the appeal window opens.
// A refusal ends the entry.
func (s *Service) Review(ctx context.Context, actor access.Actor, entryID int64, approve bool, note string) (Entry, error) {
	note = clean(note)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		e, err := loadEntry(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if !staffFor(actor, e.UnitPath, reviewers...) || actor.Anonymous() {
			return store.Forbidden("只有当事人所在社区或乡镇的工作人员可以审核")
		}
		if e.Status != StatusRecorded && e.Status != StatusReviewed {
			return store.Conflictf("该记录当前为“%s”，不在待审核状态", StatusText(e.Status))
		}
		if actor.UserID != 0 && actor.UserID == e.RecorderID {
			return store.Forbidden("登记人不能审核自己登记的记录")
		}
		for _, r := range e.Reviews {
			if r.UserID == actor.UserID {
				return store.Forbidden("同一人不能两次审核同一记录，须由另一名审核人审核")
			}
		}
		if !approve && note == "" {
			return store.Invalid("不予通过须写明理由")
		}
		decision := "approve"
		if !approve {
			decision = "reject"
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO civility_reviews (entry_id, user_id, reviewer, decision, note, at) VALUES (?, ?, ?, ?, ?, ?)`,
			e.ID, actor.UserID, actor.Recorded(), decision, note, store.Millis(now)); err != nil {
			if errors.Is(store.Normalize(err), store.ErrConflict) {
				return store.Forbidden("同一人不能两次审核同一记录，须由另一名审核人审核")
			}
			return fmt.Errorf("review entry %d: %w", e.ID, err)
		}
		if err := history(ctx, tx, e.ID, "review_"+decision, actor, note, now); err != nil {
			return err
		}
		switch {
		case !approve:
			if err := setStatus(ctx, tx, e.ID, StatusRejected, note, now); err != nil {
				return err
			}
		case e.Item.Kind == Positive:
			if err := s.takeEffect(ctx, tx, e.ID, actor, now); err != nil {
				return err
			}
		case e.Status == StatusRecorded:
			if err := setStatus(ctx, tx, e.ID, StatusReviewed, "", now); err != nil {
				return err
			}
		default:
			if err := s.notice(ctx, tx, e, actor, now); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.entry.review", Entity: "civility_entry",
			EntityID: strconv.FormatInt(e.ID, 10), After: map[string]any{"decision": decision, "note": note}})
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, entryID)
}

func setStatus(ctx context.Context, tx *store.Tx, id int64, status, reason string, at time.Time) error {
	q := `UPDATE civility_entries SET status = ? WHERE id = ?`
	args := []any{status, id}
	switch status {
	case StatusRejected, StatusWithdrawn, StatusExpired, StatusRepaired:
		q = `UPDATE civility_entries SET status = ?, closed_at = ?, close_reason = ? WHERE id = ?`
		args = []any{status, store.Millis(at), reason, id}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("entry %d to %s: %w", id, status, store.Normalize(err))
	}
	return nil
}

// notice issues the notice of a negative entry approved twice and opens
// the appeal window.
func (s *Service) notice(ctx context.Context, tx *store.Tx, e Entry, actor access.Actor, now time.Time) error {
	days, err := settings.Int(ctx, tx, SettingAppealWindowDays, DefaultAppealWindowDays)
	if err != nil {
		return err
	}
	if days < 1 {
		days = DefaultAppealWindowDays
	}
	no := fmt.Sprintf("WM%s-%06d", now.In(shanghai).Format("20060102"), e.ID)
	ends := now.AddDate(0, 0, days)
	if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ?, notice_no = ?, noticed_at = ?, window_ends_at = ? WHERE id = ?`,
		StatusNoticed, no, store.Millis(now), store.Millis(ends), e.ID); err != nil {
		return fmt.Errorf("notice of entry %d: %w", e.ID, err)
	}
	return history(ctx, tx, e.ID, "noticed", actor, fmt.Sprintf("告知书%s，申诉期%d天，至%s", no, days, ends.In(shanghai).Format("2006-01-02 15:04")), now)
}

// MakeEffective puts a noticed entry into force. It is refused while the
// appeal window is open or an appeal is being decided: nothing takes
// effect before the person could appeal.
func (s *Service) MakeEffective(ctx context.Context, actor access.Actor, entryID int64) (Entry, error) {
	return s.onEntry(ctx, actor, entryID, store.Forbidden("只有当事人所在社区或乡镇的工作人员可以办理"), func(tx *store.Tx, e Entry) error {
		return s.effectAfterWindow(ctx, tx, e, actor)
	})
}

// onEntry runs fn on an entry in one transaction, for staff of the
// person's community or township (else refused with forbidden), and
// returns the entry as fn left it.
func (s *Service) onEntry(ctx context.Context, actor access.Actor, entryID int64, forbidden error, fn func(tx *store.Tx, e Entry) error) (Entry, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		e, err := loadEntry(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if !staffFor(actor, e.UnitPath, reviewers...) {
			return forbidden
		}
		return fn(tx, e)
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, entryID)
}

func (s *Service) effectAfterWindow(ctx context.Context, tx *store.Tx, e Entry, actor access.Actor) error {
	now := s.now()
	switch {
	case e.Status == StatusAppealed:
		return store.Conflict("申诉正在复核，复核决定前记录不生效")
	case e.Status != StatusNoticed:
		return store.Conflictf("该记录当前为“%s”，不能生效", StatusText(e.Status))
	case e.WindowEndsAt.IsZero() || now.Before(e.WindowEndsAt):
		return store.Conflictf("申诉期至%s结束，申诉期内记录不生效", e.WindowEndsAt.Format("2006-01-02 15:04"))
	}
	return s.takeEffect(ctx, tx, e.ID, actor, now)
}

// takeEffect puts an entry into force: its validity starts, and a positive
// entry of a person who consented credits its points.
func (s *Service) takeEffect(ctx context.Context, tx *store.Tx, id int64, actor access.Actor, now time.Time) error {
	e, err := loadEntry(ctx, tx, id)
	if err != nil {
		return err
	}
	expires := now.AddDate(0, 0, e.Item.ValidityDays)
	if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ?, effective_at = ?, expires_at = ? WHERE id = ?`,
		StatusEffective, store.Millis(now), store.Millis(expires), id); err != nil {
		return fmt.Errorf("entry %d into force: %w", id, err)
	}
	if err := history(ctx, tx, id, "effective", actor, "有效期至"+expires.In(shanghai).Format("2006-01-02"), now); err != nil {
		return err
	}
	if e.Item.Kind != Positive || e.Item.LegalViolation || e.Points <= 0 {
		return nil
	}
	consent, err := consented(ctx, tx, e.PersonID)
	if err != nil || !consent {
		return err
	}
	return s.earn(ctx, tx, e, actor, e.Item.Code+" "+e.Item.Name, now)
}

// Settle does what time decides: noticed entries whose appeal window has
// closed take effect, and entries past their validity expire. It is run
// by the server every few minutes and is safe to run at any time.
func (s *Service) Settle(ctx context.Context) (effective, expired int, err error) {
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT id FROM civility_entries WHERE status = ? AND window_ends_at <= ?`, StatusNoticed, store.Millis(now))
	due, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) { var id int64; return id, sc.Scan(&id) })
	if err != nil {
		return 0, 0, fmt.Errorf("settle: %w", err)
	}
	for _, id := range due {
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			e, err := loadEntry(ctx, tx, id)
			if err != nil {
				return err
			}
			if e.Status != StatusNoticed {
				return nil
			}
			return s.effectAfterWindow(ctx, tx, e, access.System)
		})
		if err != nil {
			return effective, expired, err
		}
		effective++
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM civility_entries WHERE status = ? AND expires_at <= ?`, StatusEffective, store.Millis(now))
		ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) { var id int64; return id, sc.Scan(&id) })
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := setStatus(ctx, tx, id, StatusExpired, "有效期届满", now); err != nil {
				return err
			}
			if err := history(ctx, tx, id, "expired", access.System, "有效期届满", now); err != nil {
				return err
			}
		}
		expired = len(ids)
		return nil
	})
	return effective, expired, err
}

// Repair repairs (信用修复) a negative entry in force before its validity
// ends, by the configured path: verified volunteer service of at least
// civility.repair_minutes since the entry took effect. Staff of the
// person's community or township do it, with a note.
func (s *Service) Repair(ctx context.Context, actor access.Actor, entryID int64, note string) (Entry, error) {
	note = clean(note)
	return s.onEntry(ctx, actor, entryID, store.Forbidden("只有当事人所在社区或乡镇的工作人员可以办理信用修复"), func(tx *store.Tx, e Entry) error {
		if e.Item.Kind != Negative || e.Status != StatusEffective {
			return store.Conflict("只有生效中的负面记录可以修复")
		}
		need, err := settings.Int(ctx, tx, SettingRepairMinutes, DefaultRepairMinutes)
		if err != nil {
			return err
		}
		var served int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(e.minutes), 0) FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id
			WHERE w.person_id = ? AND e.layer = 'verified' AND e.started_at >= ?`, e.PersonID, store.Millis(e.EffectiveAt)).Scan(&served); err != nil {
			return fmt.Errorf("repair entry %d: %w", e.ID, err)
		}
		if served < need {
			return store.Invalidf("信用修复须在记录生效后参加经核验的志愿服务满%.1f小时，目前%.1f小时", float64(need)/60, float64(served)/60)
		}
		now := s.now()
		reason := fmt.Sprintf("志愿服务%.1f小时修复", float64(served)/60)
		if note != "" {
			reason += "：" + note
		}
		if err := setStatus(ctx, tx, e.ID, StatusRepaired, reason, now); err != nil {
			return err
		}
		if err := history(ctx, tx, e.ID, "repaired", actor, reason, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.entry.repair", Entity: "civility_entry", EntityID: strconv.FormatInt(e.ID, 10)})
	})
}

// StatusText names a status in Chinese.
func StatusText(status string) string {
	switch status {
	case StatusRecorded:
		return "待审核"
	case StatusReviewed:
		return "待第二人审核"
	case StatusNoticed:
		return "已告知，申诉期中"
	case StatusAppealed:
		return "申诉复核中"
	case StatusEffective:
		return "已生效"
	case StatusRejected:
		return "审核未通过"
	case StatusWithdrawn:
		return "已撤销"
	case StatusExpired:
		return "已过期"
	case StatusRepaired:
		return "已修复"
	}
	return status
}

const entryCols = `e.id, e.person_id, p.name, u.name, e.unit_path, e.place, e.occurred_at, e.evidence, e.source, e.source_ref, e.status, e.points,
	e.notice_no, e.noticed_at, e.window_ends_at, e.effective_at, e.expires_at, e.close_reason, COALESCE(c.no, ''), COALESCE(c.status, ''),
	e.recorder, COALESCE(e.recorder_user_id, 0), e.demo, e.created_at,
	i.id, i.code, i.version, i.name, i.kind, i.points, i.validity_days, i.evidence, i.basis_kind, i.basis, i.assembly_date, i.legal_violation, i.demo, i.created_by, i.created_at`

const entryFrom = ` FROM civility_entries e JOIN civility_items i ON i.id = e.item_id JOIN people p ON p.id = e.person_id
	JOIN units u ON u.id = e.unit_id LEFT JOIN cases c ON c.id = e.appeal_case_id`

func scanEntry(sc store.Scanner) (Entry, error) {
	var e Entry
	var occ, created, iat int64
	var noticed, ends, eff, exp *int64
	err := sc.Scan(&e.ID, &e.PersonID, &e.PersonName, &e.UnitName, &e.UnitPath, &e.Place, &occ, &e.Evidence, &e.Source, &e.SourceRef, &e.Status, &e.Points,
		&e.NoticeNo, &noticed, &ends, &eff, &exp, &e.CloseReason, &e.AppealCaseNo, &e.AppealStatus, &e.Recorder, &e.RecorderID, &e.Demo, &created,
		&e.Item.ID, &e.Item.Code, &e.Item.Version, &e.Item.Name, &e.Item.Kind, &e.Item.Points, &e.Item.ValidityDays, &e.Item.Evidence,
		&e.Item.BasisKind, &e.Item.Basis, &e.Item.AssemblyDate, &e.Item.LegalViolation, &e.Item.Demo, &e.Item.CreatedBy, &iat)
	e.OccurredAt, e.CreatedAt, e.Item.CreatedAt = store.Time(occ).In(shanghai), store.Time(created).In(shanghai), store.Time(iat).In(shanghai)
	e.NoticedAt, e.WindowEndsAt, e.EffectiveAt, e.ExpiresAt = timeOf(noticed), timeOf(ends), timeOf(eff), timeOf(exp)
	return e, err
}

// loadEntry reads an entry with its reviews (no history).
func loadEntry(ctx context.Context, tx *store.Tx, id int64) (Entry, error) {
	e, err := scanEntry(tx.QueryRow(ctx, `SELECT `+entryCols+entryFrom+` WHERE e.id = ?`, id))
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return e, store.NotFoundf("找不到文明行为记录 %d", id)
		}
		return e, fmt.Errorf("entry %d: %w", id, err)
	}
	rows, err := tx.Query(ctx, `SELECT user_id, reviewer, decision, note, at FROM civility_reviews WHERE entry_id = ? ORDER BY id`, id)
	e.Reviews, err = store.Collect(rows, err, scanReview)
	return e, err
}

func scanReview(sc store.Scanner) (Review, error) {
	var r Review
	var at int64
	err := sc.Scan(&r.UserID, &r.Reviewer, &r.Decision, &r.Note, &at)
	r.At = store.Time(at).In(shanghai)
	return r, err
}

// entry reads an entry with its reviews and history, unchecked.
func (s *Service) entry(ctx context.Context, id int64) (Entry, error) {
	e, err := scanEntry(s.db.QueryRow(ctx, `SELECT `+entryCols+entryFrom+` WHERE e.id = ?`, id))
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return e, store.NotFoundf("找不到文明行为记录 %d", id)
		}
		return e, fmt.Errorf("entry %d: %w", id, err)
	}
	rows, err := s.db.Query(ctx, `SELECT user_id, reviewer, decision, note, at FROM civility_reviews WHERE entry_id = ? ORDER BY id`, id)
	if e.Reviews, err = store.Collect(rows, err, scanReview); err != nil {
		return e, err
	}
	rows, err = s.db.Query(ctx, `SELECT kind, actor, note, at FROM civility_entry_history WHERE entry_id = ? ORDER BY id`, id)
	e.History, err = store.Collect(rows, err, func(sc store.Scanner) (Change, error) {
		var c Change
		var at int64
		err := sc.Scan(&c.Kind, &c.Actor, &c.Note, &at)
		c.At = store.Time(at).In(shanghai)
		return c, err
	})
	return e, err
}

// Entry returns an entry to the reviewing staff of the person's community
// or township (the person reads theirs on the portal, Portal).
func (s *Service) Entry(ctx context.Context, actor access.Actor, id int64) (Entry, error) {
	e, err := s.entry(ctx, id)
	if err != nil {
		return e, err
	}
	if !staffFor(actor, e.UnitPath, recorders...) {
		return Entry{}, store.Forbidden("只有当事人本人及其所在社区、乡镇的工作人员可以查看个人文明行为记录")
	}
	return e, nil
}

// Filter narrows a list of entries.
type Filter struct {
	Status   string `json:"status,omitempty"`
	Kind     string `json:"kind,omitempty"`
	ItemCode string `json:"item,omitempty"`
	PersonID int64  `json:"person_id,omitempty"`
	// Queue lists the entries awaiting the actor's review (not recorded or
	// already reviewed by them).
	Queue bool `json:"queue,omitempty"`
	Limit int  `json:"limit,omitempty"`
}

// Entries lists the entries of the people in the actor's area (staff of
// communities and townships, grid workers of their community), newest
// first. County-level users see figures, not people (Figures).
func (s *Service) Entries(ctx context.Context, actor access.Actor, f Filter) ([]Entry, error) {
	if actor.Anonymous() || !actor.HasAny(recorders...) || actor.UnitPath == "" || actor.CountyWide() && !actor.System {
		return nil, store.Forbidden("个人文明行为记录只由当事人所在社区、乡镇的工作人员查看；县级请查看汇总数据")
	}
	area := actor.UnitPath
	if actor.Has(access.RoleGrid) && !actor.HasAny(reviewers...) {
		area = parentPath(actor.UnitPath)
	}
	lo, hi := access.PathRange(area)
	q := `SELECT ` + entryCols + entryFrom + ` WHERE e.unit_path >= ? AND e.unit_path < ?`
	args := []any{lo, hi}
	if f.Status != "" {
		q += ` AND e.status = ?`
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		q += ` AND i.kind = ?`
		args = append(args, f.Kind)
	}
	if f.ItemCode != "" {
		q += ` AND i.code = ?`
		args = append(args, f.ItemCode)
	}
	if f.PersonID != 0 {
		q += ` AND e.person_id = ?`
		args = append(args, f.PersonID)
	}
	if f.Queue {
		q += ` AND e.status IN ('recorded', 'reviewed') AND COALESCE(e.recorder_user_id, 0) <> ? AND NOT EXISTS
			(SELECT 1 FROM civility_reviews r WHERE r.entry_id = e.id AND r.user_id = ?)`
		args = append(args, actor.UserID, actor.UserID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q += ` ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	out, err := store.Collect(rows, err, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("civility entries: %w", err)
	}
	return out, nil
}
