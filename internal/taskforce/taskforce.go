// Package taskforce keeps the task forces (工作专班) that a township or the
// county sets up for a key task, a major project or a hard problem crossing
// modules, levels and institutions (模块+专班): name, task, lead and deputy,
// members — full-time or part-time, with their home module and
// institution and the share of their time — and start, target and end
// (sunset) days. Its work items are cases on the engine, so a task force
// has its own inbox.
//
// It warns where the reform's own rules would be broken: a person whose
// time shares add up to more than 100 %, a task force still open past its
// end day, and a county task force drawing members from below county level
// (the 2024 rules on secondments, 借调).
//
// Tables: taskforces, taskforce_members and taskforce_items (migration
// 0022_org_ledgers).
package taskforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Levels of a task force.
const (
	County   = "county"
	Township = "township"
)

// CaseOpener opens cases on the engine (casework.Service).
type CaseOpener interface {
	Create(ctx context.Context, actor access.Actor, in casework.NewCase) (casework.Case, bool, error)
}

// Service is the task forces' domain API.
type Service struct {
	db    *store.DB
	cases CaseOpener
	now   func() time.Time
}

// New returns the task forces over db; cases opens their work items (nil:
// a task force cannot be given cases).
func New(db *store.DB, cases CaseOpener) *Service {
	return &Service{db: db, cases: cases, now: time.Now}
}

// UseClock makes the service read the time from now (tests, demo).
func (s *Service) UseClock(now func() time.Time) { s.now = now }

var shanghai = worktime.Location()

func (s *Service) today() string { return s.now().In(shanghai).Format(time.DateOnly) }

// itemFlow is the flow a task force's work item goes through: the
// hotline's intake, so it is dispatched and followed up as usual.
const itemFlow = "hotline"

// TaskForce is one task force with its warnings.
type TaskForce struct {
	ID         int64  `json:"id"`
	Level      string `json:"level"`
	UnitCode   string `json:"unit_code"`
	UnitName   string `json:"unit_name"`
	UnitID     int64  `json:"-"`
	UnitKind   string `json:"-"`
	UnitPath   string `json:"-"`
	Name       string `json:"name"`
	Task       string `json:"task"`
	LeadID     int64  `json:"lead_person_id"`
	Lead       string `json:"lead"`
	LeadUnit   string `json:"lead_unit_code"`
	DeputyID   int64  `json:"deputy_person_id,omitempty"`
	Deputy     string `json:"deputy,omitempty"`
	DeputyUnit string `json:"deputy_unit_code,omitempty"`
	StartDay   string `json:"start_day"`
	TargetDay  string `json:"target_day"`
	EndDay     string `json:"end_day"`
	ClosedOn   string `json:"closed_on,omitempty"`
	Members    int    `json:"members"`
	Items      int    `json:"items"`
	// OpenItems and OverdueItems count the inbox's open cases and those
	// past their handling deadline.
	OpenItems    int      `json:"items_open"`
	OverdueItems int      `json:"items_overdue"`
	Warnings     []string `json:"warnings"`
	PastEnd      bool     `json:"past_end"`
	FromBelow    int      `json:"members_from_below"`
	Overloaded   int      `json:"members_over_100"`
}

// Input is a new task force.
type Input struct {
	UnitCode  string `json:"unit_code"`
	Name      string `json:"name"`
	Task      string `json:"task"`
	LeadID    int64  `json:"lead_person_id"`
	DeputyID  int64  `json:"deputy_person_id"`
	StartDay  string `json:"start_day"`
	TargetDay string `json:"target_day"`
	EndDay    string `json:"end_day"`
	Demo      bool   `json:"-"`
}

// canKeep reports whether actor may set up and run task forces kept by the
// unit at path of kind: a township's own staff and administrators for its
// task forces; for the county's, county administrators and the staff of
// the keeping department.
func canKeep(a access.Actor, unitID int64, kind, _ string) bool {
	if a.System || a.CountyAdmin() {
		return true
	}
	switch kind {
	case org.KindTownship, org.KindStreet:
		return a.UnitID == unitID && a.HasAny(access.RoleTownship, access.RoleAdmin)
	case org.KindDepartment:
		return a.UnitID == unitID && a.HasAny(access.RoleDepartment, access.RoleAdmin)
	}
	return false
}

// CanKeep is canKeep for a task force.
func CanKeep(a access.Actor, t TaskForce) bool {
	return canKeep(a, t.UnitID, t.UnitKind, t.UnitPath)
}

// canRead reports whether actor may read a task force kept at path: the
// keeping township's subtree and whoever reads the whole network.
func canRead(a access.Actor, path string) bool {
	return !a.Anonymous() && (org.ReadsAll(a) || a.SeesPath(path))
}

type unitRow struct {
	id               int64
	code, name, kind string
	path             string
}

func unitByCode(ctx context.Context, q store.RowQueryer, code string) (unitRow, error) {
	u := unitRow{code: strings.TrimSpace(code)}
	r, err := org.RefByCode(ctx, q, u.code)
	if errors.Is(err, store.ErrNotFound) {
		return u, store.Invalidf("找不到单位 %s", u.code)
	}
	u.id, u.name, u.kind, u.path = r.ID, r.Name, r.Kind, r.Path
	return u, err
}

func personName(ctx context.Context, q store.RowQueryer, id int64) (string, int64, error) {
	var name string
	var unit int64
	err := q.QueryRow(ctx, `SELECT name, unit_id FROM people WHERE id = ?`, id).Scan(&name, &unit)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, store.Invalidf("找不到人员 %d", id)
	}
	return name, unit, err
}

// Create sets up a task force kept by the unit with code: a township or
// street (a township task force), the county or a county department (a
// county task force).
func (s *Service) Create(ctx context.Context, actor access.Actor, in Input) (int64, error) {
	if actor.Anonymous() {
		return 0, store.Forbidden("请先登录")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.create(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// check trims and checks a new task force's fields.
func (s *Service) check(in Input) (Input, error) {
	in.Name, in.Task = strings.TrimSpace(in.Name), strings.TrimSpace(in.Task)
	switch {
	case in.Name == "":
		return in, store.Invalid("请填写专班名称")
	case utf8.RuneCountInString(in.Name) > 60:
		return in, store.Invalid("专班名称不能超过60字")
	case in.Task == "":
		return in, store.Invalid("请填写专班任务")
	case in.LeadID <= 0:
		return in, store.Invalid("请选择专班组长")
	case in.DeputyID == in.LeadID:
		return in, store.Invalid("副组长不能与组长是同一人")
	}
	if in.StartDay == "" {
		in.StartDay = s.today()
	}
	if !worktime.ValidDay(in.StartDay) || !worktime.ValidDay(in.TargetDay) || !worktime.ValidDay(in.EndDay) {
		return in, store.Invalid("请填写专班的开始、目标和结束日期（年-月-日）")
	}
	if in.TargetDay < in.StartDay || in.EndDay < in.TargetDay {
		return in, store.Invalid("日期应为开始 ≤ 目标 ≤ 结束")
	}
	return in, nil
}

// create checks and inserts a task force in tx. A name the unit uses already
// is refused before the insert, so an import's transaction stays usable on
// PostgreSQL.
func (s *Service) create(ctx context.Context, tx *store.Tx, actor access.Actor, in Input) (int64, error) {
	in, err := s.check(in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = func() error {
		u, err := unitByCode(ctx, tx, in.UnitCode)
		if err != nil {
			return err
		}
		level := Township
		switch u.kind {
		case org.KindTownship, org.KindStreet:
		case org.KindCounty, org.KindDepartment:
			level = County
		default:
			return store.Invalid("专班由乡镇街道或县级设立")
		}
		if !canKeep(actor, u.id, u.kind, u.path) {
			return store.Forbiddenf("无权为%s设立专班：乡镇专班由本乡镇设立，县级专班由县级设立", u.name)
		}
		if _, _, err := personName(ctx, tx, in.LeadID); err != nil {
			return err
		}
		if in.DeputyID != 0 {
			if _, _, err := personName(ctx, tx, in.DeputyID); err != nil {
				return err
			}
		}
		var taken int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM taskforces WHERE unit_id = ? AND name = ?`, u.id, in.Name).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return store.Conflictf("%s已有名为“%s”的专班", u.name, in.Name)
		}
		err = tx.QueryRow(ctx, `INSERT INTO taskforces (unit_id, unit_path, level, name, task, lead_person_id, deputy_person_id, start_day, target_day, end_day,
			demo, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			u.id, u.path, level, in.Name, in.Task, in.LeadID, store.NullID(in.DeputyID), in.StartDay, in.TargetDay, in.EndDay,
			store.BoolInt(in.Demo), actor.Recorded(), store.Millis(s.now())).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return store.Conflictf("%s已有名为“%s”的专班", u.name, in.Name)
		}
		if err != nil {
			return fmt.Errorf("new task force: %w", err)
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "taskforce.create", Entity: "taskforce", EntityID: fmt.Sprint(id),
			After: map[string]string{"unit": u.code, "name": in.Name}})
	}()
	return id, err
}

// MemberInput adds a member. InstitutionID is the office, team or centre
// of the member's township they come from (its module is theirs); empty
// for a member from a county department.
type MemberInput struct {
	PersonID      int64 `json:"person_id"`
	FullTime      bool  `json:"full_time"`
	InstitutionID int64 `json:"institution_id"`
	// Share is the percent of their time; a full-time member gives 100.
	Share int `json:"share"`
}

// AddMember adds a member to a task force.
func (s *Service) AddMember(ctx context.Context, actor access.Actor, id int64, in MemberInput) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.addMember(ctx, tx, actor, id, in) })
}

// addMember adds a checked member in tx; someone already a member is
// refused before the insert.
func (s *Service) addMember(ctx context.Context, tx *store.Tx, actor access.Actor, id int64, in MemberInput) error {
	if in.FullTime && in.Share == 0 {
		in.Share = 100
	}
	if in.Share < 1 || in.Share > 100 {
		return store.Invalid("投入时间比例应在1%到100%之间")
	}
	if in.PersonID <= 0 {
		return store.Invalid("请选择专班成员")
	}
	{
		t, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanKeep(actor, t) {
			return store.Forbidden("无权调整该专班")
		}
		if t.ClosedOn != "" {
			return store.Invalid("专班已撤销，不能再增加成员")
		}
		name, home, err := personName(ctx, tx, in.PersonID)
		if err != nil {
			return err
		}
		var module any
		if in.InstitutionID != 0 {
			var instUnit int64
			var mod *int64
			if err := tx.QueryRow(ctx, `SELECT unit_id, module_id FROM institutions WHERE id = ?`, in.InstitutionID).Scan(&instUnit, &mod); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return store.Invalidf("找不到机构 %d", in.InstitutionID)
				}
				return err
			}
			if mod != nil {
				module = *mod
			}
		}
		var already int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM taskforce_members WHERE taskforce_id = ? AND person_id = ?`, id, in.PersonID).Scan(&already); err != nil {
			return err
		}
		if already > 0 {
			return store.Conflictf("%s已是该专班成员", name)
		}
		_, err = tx.Exec(ctx, `INSERT INTO taskforce_members (taskforce_id, person_id, full_time, home_unit_id, module_id, institution_id, share, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, in.PersonID, store.BoolInt(in.FullTime), home, module, store.NullID(in.InstitutionID), in.Share, store.Millis(s.now()))
		if errors.Is(err, store.ErrConflict) {
			return store.Conflictf("%s已是该专班成员", name)
		}
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "taskforce.member", Entity: "taskforce", EntityID: fmt.Sprint(id),
			After: map[string]string{"person": name, "share": fmt.Sprint(in.Share)}})
	}
}

// Close winds a task force up on day (today when empty).
func (s *Service) Close(ctx context.Context, actor access.Actor, id int64, day string) error {
	if day == "" {
		day = s.today()
	}
	if !worktime.ValidDay(day) {
		return store.Invalid("请填写撤销日期（年-月-日）")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanKeep(actor, t) {
			return store.Forbidden("无权调整该专班")
		}
		if t.ClosedOn != "" {
			return store.Conflict("专班已撤销")
		}
		if _, err := tx.Exec(ctx, `UPDATE taskforces SET closed_on = ? WHERE id = ?`, day, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "taskforce.close", Entity: "taskforce", EntityID: fmt.Sprint(id)})
	})
}

// GiveCase opens a case on the engine as a work item of the task force:
// placed in the keeping unit and routed as any other, and listed in the
// task force's inbox. Giving the same title twice returns the same case.
func (s *Service) GiveCase(ctx context.Context, actor access.Actor, id int64, title, body string) (string, error) {
	if s.cases == nil {
		return "", store.Invalid("未接入工单系统")
	}
	t, err := s.get(ctx, s.db, id)
	if err != nil {
		return "", err
	}
	if !CanKeep(actor, t) {
		return "", store.Forbidden("无权调整该专班")
	}
	if t.ClosedOn != "" {
		return "", store.Invalid("专班已撤销，不能再交办工单")
	}
	title = strings.TrimSpace(title)
	if title == "" {
		return "", store.Invalid("请填写标题")
	}
	// The case comes in as an intake of the hotline's own (the system on
	// the keeper's behalf), so the call centre routes it as any other.
	intake := access.Actor{System: true, Name: actor.Recorded()}
	c, _, err := s.cases.Create(ctx, intake, casework.NewCase{Flow: itemFlow, RequestType: casework.RequestSuggestion, Title: title,
		Body: strings.TrimSpace(body) + "\n（工作专班：" + t.Name + "）", Channel: "web", Source: "taskforce", ReporterName: actor.Recorded(),
		ExternalID: fmt.Sprintf("tf%d:%s", id, title), PlaceUnit: t.UnitCode})
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO taskforce_items (taskforce_id, case_id, created_by, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (case_id) DO NOTHING`, id, c.ID, actor.Recorded(), store.Millis(s.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("task force item: %w", err)
	}
	return c.No, nil
}

// MayKeepAt reports whether actor may set up task forces kept by the unit
// (id, kind): the form offers the user's own unit when it does.
func MayKeepAt(a access.Actor, unitID int64, kind string) bool { return canKeep(a, unitID, kind, "") }
