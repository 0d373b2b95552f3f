package party

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Service activities: a claimed need or a project becomes an activity with
// a roster; members sign in and out on the phone, or the organiser records
// them; the community (and, where there is one, the resident served) signs
// it off. The sign-off, in one transaction, records the attendance here,
// moves the agreement's commitment on and hands the service to the
// volunteer ledger (ServiceLedger, wired with UseLedger; internal/volunteer
// implements it), which records each attendee's verified service and the
// good deed when the activity solved a resident's problem. Without a
// ledger the attendance is still recorded; hours and good deeds are then
// unknown ("—" on the figures).

// ServiceLedger is where signed-off service goes: the volunteer service
// records (民政部令第67号) and good deeds.
type ServiceLedger interface {
	// ActivitySignedOff records each attendee's verified service and, when the activity solved a
	// resident's problem, the good deed; tx is the sign-off's transaction.
	ActivitySignedOff(ctx context.Context, tx *store.Tx, a SignedOffActivity) error
	// Totals: verified and back-filled minutes and good deeds within a unit's subtree over [from, to).
	Totals(ctx context.Context, unitPath string, from, to time.Time) (verifiedMin, backfilledMin, deeds int, err error)
}

// SignedOffActivity is what the ledger is handed at a sign-off.
type SignedOffActivity struct {
	ID      int64
	Title   string
	Content string
	// Place names where it happened: the party-mass service centre
	// (党群服务中心) or another place.
	Place string
	// OrganiserUnitID is the unit that organised it (the community or a
	// co-building unit) and that records and certifies the service.
	OrganiserUnitID int64
	// CommunityUnitID is the community where it was served.
	CommunityUnitID int64
	SignedOffBy     int64 // user id
	At              time.Time
	// StartsAt and EndsAt are the activity's time: rounded service never
	// exceeds its length.
	StartsAt, EndsAt time.Time
	Attendees        []Attendee
	// Deed is the good deed, when the activity solved a resident's problem.
	Deed *GoodDeed
}

// Attendee is one attendee's signed-in time.
type Attendee struct {
	PersonID int64
	In, Out  time.Time
}

// GoodDeed is a resident's problem an activity solved (办实事好事).
type GoodDeed struct {
	DoerPersonID int64 // the member who did it, or
	DoerUnitID   int64 // the unit that did it
	Beneficiary  string
	Problem      string
	CaseNo       string
}

// UseLedger wires the volunteer ledger that sign-offs hand their service
// to (nil: none).
func (s *Service) UseLedger(l ServiceLedger) { s.ledger = l }

// Ledger returns the wired ledger, or nil.
func (s *Service) Ledger() ServiceLedger { return s.ledger }

// Activity statuses.
const (
	ActivityPlanned   = "planned"
	ActivitySignedOff = "signed_off"
)

// Activity is a service activity with its roster.
type Activity struct {
	ID            int64        `json:"id"`
	ItemID        int64        `json:"item_id,omitempty"`
	CommitmentID  int64        `json:"commitment_id,omitempty"`
	CommunityCode string       `json:"community_code"`
	CommunityName string       `json:"community_name"`
	OrganiserCode string       `json:"organiser_code"`
	OrganiserName string       `json:"organiser_name"`
	Title         string       `json:"title"`
	Content       string       `json:"content,omitempty"`
	Place         string       `json:"place"`
	CentreID      int64        `json:"centre_id,omitempty"` // the party-mass service centre it takes place at
	StartsAt      time.Time    `json:"starts_at"`
	EndsAt        time.Time    `json:"ends_at"`
	Status        string       `json:"status"`
	ResidentName  string       `json:"resident_name,omitempty"`
	DeedProblem   string       `json:"deed_problem,omitempty"`
	SignedOffAt   *time.Time   `json:"signed_off_at,omitempty"`
	Roster        []RosterLine `json:"roster"`
}

// RosterLine is one member on an activity's roster.
type RosterLine struct {
	PersonID   int64      `json:"person_id"`
	Name       string     `json:"name"`
	UnitName   string     `json:"unit_name"`
	In         *time.Time `json:"in,omitempty"`
	Out        *time.Time `json:"out,omitempty"`
	RecordedBy string     `json:"recorded_by,omitempty"`
}

// ActivityInput is a new activity.
type ActivityInput struct {
	ItemID       int64  `json:"item_id"`
	CommitmentID int64  `json:"commitment_id"`
	Community    string `json:"community"`
	Organiser    string `json:"organiser"` // a unit code; the community when empty
	Title        string `json:"title"`
	Content      string `json:"content"`
	Place        string `json:"place"`
	// CentreID names the party-mass service centre (党群服务中心) it
	// takes place at; Place defaults to the centre's name.
	CentreID int64     `json:"centre_id"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Roster   []int64   `json:"roster"` // person ids; a need's claimers are added
	Demo     bool      `json:"-"`
}

// mayOrganise reports whether the actor organises an activity of the
// community organised by the unit: the community's side, or the
// organising unit's own staff.
func (s *Service) mayOrganise(ctx context.Context, actor access.Actor, communityPath string, organiserID int64) (bool, error) {
	ok, err := s.mayCommunity(ctx, actor, communityPath)
	if ok || err != nil {
		return ok, err
	}
	return !actor.Anonymous() && actor.UnitID == organiserID, nil
}

// PlanActivity plans an activity with its roster.
func (s *Service) PlanActivity(ctx context.Context, actor access.Actor, in ActivityInput) (Activity, error) {
	in.Title, in.Content, in.Place = strings.TrimSpace(in.Title), strings.TrimSpace(in.Content), strings.TrimSpace(in.Place)
	switch {
	case in.Title == "" || utf8.RuneCountInString(in.Title) > 100:
		return Activity{}, store.Invalid("请填写活动名称（最多100字）")
	case (in.Place == "" && in.CentreID == 0) || utf8.RuneCountInString(in.Place) > 100:
		return Activity{}, store.Invalid("请填写活动地点，如某社区党群服务中心（最多100字）")
	case utf8.RuneCountInString(in.Content) > 2000:
		return Activity{}, store.Invalid("活动内容最多2000字")
	case in.StartsAt.IsZero() || !in.EndsAt.After(in.StartsAt):
		return Activity{}, store.Invalid("请填写活动的开始和结束时间，结束应晚于开始")
	case in.EndsAt.Sub(in.StartsAt) > 24*time.Hour:
		return Activity{}, store.Invalid("一次活动最长24小时")
	case len(in.Roster) > 500:
		return Activity{}, store.Invalid("一次活动最多500人")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitByCode(ctx, tx, in.Community)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalidf("%s不是社区或村", c.Name)
		}
		org := c
		if strings.TrimSpace(in.Organiser) != "" {
			if org, err = unitByCode(ctx, tx, in.Organiser); err != nil {
				return err
			}
		}
		if ok, err := s.mayOrganise(ctx, actor, c.Path, org.ID); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("无权组织%s的服务活动", c.Name)
		}
		if in.CentreID != 0 {
			name, err := centreIn(ctx, tx, in.CentreID, c.Path)
			if err != nil {
				return err
			}
			if in.Place == "" {
				in.Place = name
			}
		}
		commitment := in.CommitmentID
		roster := map[int64]bool{}
		for _, p := range in.Roster {
			roster[p] = true
		}
		if in.ItemID != 0 {
			it, err := loadItem(ctx, tx, in.ItemID)
			if err != nil {
				return err
			}
			if it.communityID != c.ID {
				return store.Invalid("该清单条目不属于此社区")
			}
			if commitment == 0 {
				commitment = it.commitmentID
			}
			rows, err := tx.Query(ctx, `SELECT person_id FROM party_claims WHERE item_id = ? AND person_id IS NOT NULL`, in.ItemID)
			ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
				var id int64
				return id, sc.Scan(&id)
			})
			if err != nil {
				return fmt.Errorf("claims of %d: %w", in.ItemID, err)
			}
			for _, p := range ids {
				roster[p] = true
			}
		}
		if commitment != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM co_building_commitments m JOIN co_building b ON b.id = m.agreement_id
				WHERE m.id = ? AND b.community_unit_id = ?`, commitment, c.ID).Scan(&n); err != nil {
				return fmt.Errorf("commitment: %w", err)
			}
			if n == 0 {
				return store.Invalid("该承诺不属于此社区的共建协议")
			}
		}
		now := store.Millis(s.now())
		err = tx.QueryRow(ctx, `INSERT INTO party_activities (item_id, commitment_id, community_unit_id, organiser_unit_id, title, content, place, starts_at, ends_at,
			status, demo, created_by, created_at, centre_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			store.NullID(in.ItemID), store.NullID(commitment), c.ID, org.ID, in.Title, in.Content, in.Place, store.Millis(in.StartsAt), store.Millis(in.EndsAt),
			ActivityPlanned, store.BoolInt(in.Demo), store.NullID(actor.UserID), now, store.NullID(in.CentreID)).Scan(&id)
		if err != nil {
			return fmt.Errorf("plan activity: %w", store.Normalize(err))
		}
		for p := range roster {
			var role string
			if err := tx.QueryRow(ctx, `SELECT role FROM people WHERE id = ?`, p).Scan(&role); err != nil {
				if errors.Is(store.Normalize(err), store.ErrNotFound) {
					return store.Invalidf("找不到人员 %d", p)
				}
				return fmt.Errorf("roster: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO party_attendance (activity_id, person_id) VALUES (?, ?)`, id, p); err != nil {
				return fmt.Errorf("roster: %w", err)
			}
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.activity.plan", Entity: "party_activity", EntityID: fmt.Sprint(id),
			After: map[string]any{"title": in.Title, "community": c.Code, "roster": len(roster)}})
	})
	if err != nil {
		return Activity{}, err
	}
	return s.Activity(ctx, access.System, id)
}

// Activity returns an activity with its roster, to those who may read its
// community (or organise it).
func (s *Service) Activity(ctx context.Context, actor access.Actor, id int64) (Activity, error) {
	var a Activity
	var from, to, off int64
	var communityPath string
	var organiserID int64
	err := s.db.QueryRow(ctx, `SELECT v.id, COALESCE(v.item_id, 0), COALESCE(v.commitment_id, 0), c.code, c.name, c.path, o.id, o.code, o.name, v.title, v.content, v.place,
		v.starts_at, v.ends_at, v.status, v.resident_name, v.deed_problem, COALESCE(v.signed_off_at, 0), COALESCE(v.centre_id, 0)
		FROM party_activities v JOIN units c ON c.id = v.community_unit_id JOIN units o ON o.id = v.organiser_unit_id WHERE v.id = ?`, id).
		Scan(&a.ID, &a.ItemID, &a.CommitmentID, &a.CommunityCode, &a.CommunityName, &communityPath, &organiserID, &a.OrganiserCode, &a.OrganiserName,
			&a.Title, &a.Content, &a.Place, &from, &to, &a.Status, &a.ResidentName, &a.DeedProblem, &off, &a.CentreID)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return a, store.NotFound("找不到该服务活动")
		}
		return a, fmt.Errorf("activity %d: %w", id, err)
	}
	if !actor.System && !canRead(actor, communityPath) && actor.UnitID != organiserID {
		return Activity{}, store.NotFound("找不到该服务活动")
	}
	a.StartsAt, a.EndsAt, a.SignedOffAt = time.UnixMilli(from).In(shanghai), time.UnixMilli(to).In(shanghai), optTime(off)
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, u.name, COALESCE(a.in_at, 0), COALESCE(a.out_at, 0), a.recorded_by FROM party_attendance a
		JOIN people p ON p.id = a.person_id JOIN units u ON u.id = p.unit_id WHERE a.activity_id = ? ORDER BY p.id`, id)
	a.Roster, err = store.Collect(rows, err, func(sc store.Scanner) (RosterLine, error) {
		var l RosterLine
		var in, out int64
		err := sc.Scan(&l.PersonID, &l.Name, &l.UnitName, &in, &out, &l.RecordedBy)
		l.In, l.Out = optTime(in), optTime(out)
		return l, err
	})
	if err != nil {
		return a, fmt.Errorf("roster of %d: %w", id, err)
	}
	if a.Roster == nil {
		a.Roster = []RosterLine{}
	}
	return a, nil
}

// activityRef is what the attendance writes need of an activity.
type activityRef struct {
	id, communityID, organiserID int64
	communityPath, status        string
	title, content, place        string
	startsAt, endsAt             int64
	itemID, commitmentID         int64
}

func loadActivity(ctx context.Context, q querier, id int64) (activityRef, error) {
	var a activityRef
	err := q.QueryRow(ctx, `SELECT v.id, v.community_unit_id, v.organiser_unit_id, c.path, v.status, v.title, v.content, v.place, v.starts_at, v.ends_at,
		COALESCE(v.item_id, 0), COALESCE(v.commitment_id, 0) FROM party_activities v JOIN units c ON c.id = v.community_unit_id WHERE v.id = ?`, id).
		Scan(&a.id, &a.communityID, &a.organiserID, &a.communityPath, &a.status, &a.title, &a.content, &a.place, &a.startsAt, &a.endsAt, &a.itemID, &a.commitmentID)
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return a, store.NotFound("找不到该服务活动")
		}
		return a, fmt.Errorf("activity %d: %w", id, err)
	}
	return a, nil
}

// SignIn signs the member in (in true) or out on the phone: the member must
// be on the roster, the activity not signed off, the time inside the
// activity's day.
func (s *Service) SignIn(ctx context.Context, m Member, activityID int64, in bool) (Activity, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		a, err := loadActivity(ctx, tx, activityID)
		if err != nil {
			return err
		}
		if a.status != ActivityPlanned {
			return store.Conflict("该活动已签收，不能再签到签退")
		}
		now := s.now()
		if now.Before(time.UnixMilli(a.startsAt).Add(-2*time.Hour)) || now.After(time.UnixMilli(a.endsAt).Add(2*time.Hour)) {
			return store.Invalid("只能在活动开始前2小时至结束后2小时内签到签退")
		}
		var inAt int64
		err = tx.QueryRow(ctx, `SELECT COALESCE(in_at, 0) FROM party_attendance WHERE activity_id = ? AND person_id = ?`, activityID, m.PersonID).Scan(&inAt)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.Forbidden("您不在该活动的名单上，请联系组织者")
			}
			return fmt.Errorf("attendance: %w", err)
		}
		q := `UPDATE party_attendance SET in_at = ?, recorded_by = 'self' WHERE activity_id = ? AND person_id = ?`
		if !in {
			if inAt == 0 {
				return store.Invalid("请先签到")
			}
			q = `UPDATE party_attendance SET out_at = ?, recorded_by = 'self' WHERE activity_id = ? AND person_id = ?`
		}
		_, err = tx.Exec(ctx, q, store.Millis(now), activityID, m.PersonID)
		return err
	})
	if err != nil {
		return Activity{}, err
	}
	return s.Activity(ctx, access.System, activityID)
}

// RecordAttendance records an attendee's times as the organiser (a member
// without a phone); a person not on the roster is added.
func (s *Service) RecordAttendance(ctx context.Context, actor access.Actor, activityID, personID int64, in, out time.Time) (Activity, error) {
	if in.IsZero() || !out.After(in) {
		return Activity{}, store.Invalid("请填写签到和签退时间，签退应晚于签到")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		a, err := loadActivity(ctx, tx, activityID)
		if err != nil {
			return err
		}
		if ok, err := s.mayOrganise(ctx, actor, a.communityPath, a.organiserID); err != nil {
			return err
		} else if !ok {
			return store.Forbidden("只有活动的组织者可以登记签到")
		}
		if a.status != ActivityPlanned {
			return store.Conflict("该活动已签收，不能再登记签到")
		}
		if store.Millis(in) < a.startsAt-2*3600_000 || store.Millis(out) > a.endsAt+2*3600_000 {
			return store.Invalid("签到签退时间应在活动时间前后2小时内")
		}
		if _, err := loadMember(ctx, tx, personID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE party_attendance SET in_at = ?, out_at = ?, recorded_by = 'organiser' WHERE activity_id = ? AND person_id = ?`,
			store.Millis(in), store.Millis(out), activityID, personID)
		if err != nil {
			return fmt.Errorf("attendance: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO party_attendance (activity_id, person_id, in_at, out_at, recorded_by) VALUES (?, ?, ?, ?, 'organiser')`,
				activityID, personID, store.Millis(in), store.Millis(out)); err != nil {
				return fmt.Errorf("attendance: %w", err)
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.activity.attendance", Entity: "party_activity", EntityID: fmt.Sprint(activityID),
			After: map[string]any{"person": personID}})
	})
	if err != nil {
		return Activity{}, err
	}
	return s.Activity(ctx, access.System, activityID)
}

// SignOffInput is the community's sign-off of an activity.
type SignOffInput struct {
	// ResidentName is the resident served who signed it off too, if any.
	ResidentName string `json:"resident_name"`
	// Problem is the resident's problem the activity solved: a good deed.
	Problem string `json:"problem"`
	// Beneficiary is for whom (a resident or a place); the resident by default.
	Beneficiary string `json:"beneficiary"`
	// CaseNo is the 12345 case or whistle the deed answered, if any.
	CaseNo string `json:"case_no"`
	// DoerPersonID names the member who did the deed; the organising unit
	// did it when 0.
	DoerPersonID int64 `json:"doer_person_id"`
}

// SignOff signs an activity off: in one transaction the attendance is
// fixed (those with both times, clamped to the activity's time), the
// commitment moves on (people: by the attendees; otherwise by one), a
// need is done, and the ledger, when wired, records the service and the
// good deed. The community's side signs off, not the organising unit.
func (s *Service) SignOff(ctx context.Context, actor access.Actor, activityID int64, in SignOffInput) (Activity, error) {
	in.ResidentName, in.Problem = strings.TrimSpace(in.ResidentName), strings.TrimSpace(in.Problem)
	in.Beneficiary, in.CaseNo = strings.TrimSpace(in.Beneficiary), strings.TrimSpace(in.CaseNo)
	if utf8.RuneCountInString(in.ResidentName) > 40 || utf8.RuneCountInString(in.Beneficiary) > 100 || utf8.RuneCountInString(in.Problem) > 500 || len(in.CaseNo) > 40 {
		return Activity{}, store.Invalid("居民姓名最多40字，服务对象最多100字，解决的问题最多500字")
	}
	if in.Problem == "" && (in.CaseNo != "" || in.DoerPersonID != 0) {
		return Activity{}, store.Invalid("登记办实事好事时请填写解决了什么问题")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.signOffTx(ctx, tx, actor, activityID, in, s.now(), false) })
	if err != nil {
		return Activity{}, err
	}
	return s.Activity(ctx, access.System, activityID)
}

// signOffTx is SignOff inside tx; generated work (demo data, not audited)
// signs many off in one.
func (s *Service) signOffTx(ctx context.Context, tx *store.Tx, actor access.Actor, activityID int64, in SignOffInput, now time.Time, generated bool) error {
	{
		a, err := loadActivity(ctx, tx, activityID)
		if err != nil {
			return err
		}
		if ok, err := s.mayCommunity(ctx, actor, a.communityPath); err != nil {
			return err
		} else if !ok {
			return store.Forbidden("只有活动所在社区可以签收服务活动")
		}
		if a.status != ActivityPlanned {
			return store.Conflict("该活动已签收")
		}
		rows, err := tx.Query(ctx, `SELECT person_id, in_at, out_at FROM party_attendance WHERE activity_id = ? AND in_at IS NOT NULL AND out_at IS NOT NULL ORDER BY person_id`, activityID)
		attendees, err := store.Collect(rows, err, func(sc store.Scanner) (Attendee, error) {
			var x Attendee
			var inAt, outAt int64
			err := sc.Scan(&x.PersonID, &inAt, &outAt)
			x.In, x.Out = time.UnixMilli(max(inAt, a.startsAt)).In(shanghai), time.UnixMilli(min(outAt, a.endsAt)).In(shanghai)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("attendance of %d: %w", activityID, err)
		}
		var kept []Attendee
		for _, x := range attendees {
			if x.Out.After(x.In) {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			return store.Invalid("没有签到签退完整的参加人员，不能签收")
		}
		if in.DoerPersonID != 0 {
			found := false
			for _, x := range kept {
				found = found || x.PersonID == in.DoerPersonID
			}
			if !found {
				return store.Invalid("办实事好事的党员应是参加了该活动的人员")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE party_activities SET status = ?, resident_name = ?, deed_problem = ?, signed_off_at = ?, signed_off_by = ? WHERE id = ?`,
			ActivitySignedOff, in.ResidentName, in.Problem, store.Millis(now), store.NullID(actor.UserID), activityID); err != nil {
			return fmt.Errorf("sign off %d: %w", activityID, err)
		}
		if a.commitmentID != 0 {
			step := 1
			var kind string
			if err := tx.QueryRow(ctx, `SELECT kind FROM co_building_commitments WHERE id = ?`, a.commitmentID).Scan(&kind); err != nil {
				return fmt.Errorf("commitment %d: %w", a.commitmentID, err)
			}
			if kind == CommitPeople {
				step = len(kept)
			}
			if _, err := tx.Exec(ctx, `UPDATE co_building_commitments SET done = done + ? WHERE id = ?`, step, a.commitmentID); err != nil {
				return fmt.Errorf("commitment %d: %w", a.commitmentID, err)
			}
		}
		if a.itemID != 0 {
			if _, err := tx.Exec(ctx, `UPDATE party_items SET status = ? WHERE id = ? AND kind = ?`, ItemDone, a.itemID, ItemNeed); err != nil {
				return fmt.Errorf("item %d: %w", a.itemID, err)
			}
		}
		if s.ledger != nil {
			so := SignedOffActivity{ID: a.id, Title: a.title, Content: a.content, Place: a.place, OrganiserUnitID: a.organiserID, CommunityUnitID: a.communityID,
				SignedOffBy: actor.UserID, At: now, Attendees: kept,
				StartsAt: time.UnixMilli(a.startsAt).In(shanghai), EndsAt: time.UnixMilli(a.endsAt).In(shanghai)}
			if in.Problem != "" {
				so.Deed = &GoodDeed{DoerPersonID: in.DoerPersonID, Beneficiary: in.Beneficiary, Problem: in.Problem, CaseNo: in.CaseNo}
				if so.Deed.DoerPersonID == 0 {
					so.Deed.DoerUnitID = a.organiserID
				}
				if so.Deed.Beneficiary == "" {
					so.Deed.Beneficiary = in.ResidentName
				}
			}
			if err := s.ledger.ActivitySignedOff(ctx, tx, so); err != nil {
				return fmt.Errorf("sign off %d: ledger: %w", activityID, err)
			}
		}
		if generated {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.activity.signoff", Entity: "party_activity", EntityID: fmt.Sprint(activityID),
			After: map[string]any{"attendees": len(kept), "resident": in.ResidentName, "deed": in.Problem != ""}})
	}
}

// MemberActivities lists the planned activities the person is on the
// roster of, soonest first (the member's phone page).
func (s *Service) MemberActivities(ctx context.Context, personID int64) ([]Activity, error) {
	rows, err := s.db.Query(ctx, `SELECT v.id FROM party_activities v JOIN party_attendance a ON a.activity_id = v.id
		WHERE a.person_id = ? AND v.status = ? ORDER BY v.starts_at LIMIT 20`, personID, ActivityPlanned)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("activities of %d: %w", personID, err)
	}
	out := make([]Activity, 0, len(ids))
	for _, id := range ids {
		a, err := s.Activity(ctx, access.System, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ActivityFilter narrows the activities listed.
type ActivityFilter struct {
	Community string
	Status    string
}

// Activities lists a community's activities, newest first (without
// rosters), for those who read the community.
func (s *Service) Activities(ctx context.Context, actor access.Actor, f ActivityFilter) ([]Activity, error) {
	c, err := unitByCode(ctx, s.db, f.Community)
	if err != nil {
		return nil, err
	}
	if !canRead(actor, c.Path) {
		return nil, store.Forbiddenf("无权查看%s的服务活动", c.Name)
	}
	q := `SELECT v.id, v.title, v.place, v.starts_at, v.ends_at, v.status, o.name, (SELECT COUNT(*) FROM party_attendance a WHERE a.activity_id = v.id)
		FROM party_activities v JOIN units o ON o.id = v.organiser_unit_id WHERE v.community_unit_id = ?`
	args := []any{c.ID}
	if f.Status != "" {
		q, args = q+` AND v.status = ?`, append(args, f.Status)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY v.starts_at DESC LIMIT 100`, args...)
	return store.Collect(rows, err, func(sc store.Scanner) (Activity, error) {
		a := Activity{CommunityCode: c.Code, CommunityName: c.Name}
		var from, to int64
		var n int
		err := sc.Scan(&a.ID, &a.Title, &a.Place, &from, &to, &a.Status, &a.OrganiserName, &n)
		a.StartsAt, a.EndsAt = time.UnixMilli(from).In(shanghai), time.UnixMilli(to).In(shanghai)
		a.Roster = make([]RosterLine, n)
		return a, err
	})
}
