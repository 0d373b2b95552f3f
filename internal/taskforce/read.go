package taskforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

const tfCols = `t.id, t.level, u.id, u.code, u.name, u.kind, t.unit_path, t.name, t.task, t.lead_person_id, l.name, (SELECT lu.code FROM units lu WHERE lu.id = l.unit_id),
	COALESCE(t.deputy_person_id, 0), COALESCE(d.name, ''), COALESCE((SELECT du.code FROM units du WHERE du.id = d.unit_id), ''), t.start_day, t.target_day, t.end_day, t.closed_on,
	(SELECT COUNT(*) FROM taskforce_members m WHERE m.taskforce_id = t.id), (SELECT COUNT(*) FROM taskforce_items i WHERE i.taskforce_id = t.id)`

const tfFrom = ` FROM taskforces t JOIN units u ON u.id = t.unit_id JOIN people l ON l.id = t.lead_person_id LEFT JOIN people d ON d.id = t.deputy_person_id`

func scanTF(sc store.Scanner) (TaskForce, error) {
	var t TaskForce
	err := sc.Scan(&t.ID, &t.Level, &t.UnitID, &t.UnitCode, &t.UnitName, &t.UnitKind, &t.UnitPath, &t.Name, &t.Task, &t.LeadID, &t.Lead, &t.LeadUnit, &t.DeputyID, &t.Deputy, &t.DeputyUnit,
		&t.StartDay, &t.TargetDay, &t.EndDay, &t.ClosedOn, &t.Members, &t.Items)
	return t, err
}

func (s *Service) get(ctx context.Context, q store.RowQueryer, id int64) (TaskForce, error) {
	t, err := scanTF(q.QueryRow(ctx, `SELECT `+tfCols+tfFrom+` WHERE t.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return t, store.NotFound("没有这个专班")
	}
	return t, err
}

// Member is a task force's member.
type Member struct {
	PersonID    int64  `json:"person_id"`
	Name        string `json:"name"`
	FullTime    bool   `json:"full_time"`
	HomeUnit    string `json:"home_unit"`
	HomeCode    string `json:"home_unit_code"`
	HomeKind    string `json:"home_unit_kind"`
	Module      string `json:"module,omitempty"`
	Institution string `json:"institution,omitempty"`
	Share       int    `json:"share"`
	// OwnPost is the share of their time their own post keeps (setting
	// taskforce.own_post_share, default 50): counted when they hold a post
	// in the staffing ledger and are full-time in no open task force (a
	// full-time member is released from their post); 0 otherwise.
	OwnPost int `json:"own_post_share"`
	// TotalShare is the person's share summed over every open task force,
	// plus OwnPost.
	TotalShare int `json:"total_share"`
	// Below marks a member from below county level on a county task force.
	Below bool `json:"from_below_county"`
}

// Item is a work item: a case in the task force's inbox, with the unit
// leading it and its handling deadline, as in a unit's inbox.
type Item struct {
	CaseNo string `json:"case_no"`
	Title  string `json:"title"`
	Flow   string `json:"flow"`
	Status string `json:"status"`
	// Lead is the unit leading the case ("" before dispatch).
	Lead string `json:"lead_unit,omitempty"`
	// Due is the lead's handling deadline (Asia/Shanghai day), if set.
	Due string `json:"handle_due,omitempty"`
	// Closed: the case is closed; Overdue: open and past its deadline, or
	// marked overdue by the engine.
	Closed  bool `json:"closed"`
	Overdue bool `json:"overdue"`
}

// items lists a task force's inbox, newest first.
func (s *Service) items(ctx context.Context, id int64) ([]Item, error) {
	now := store.Millis(s.now())
	rows, err := s.db.Query(ctx, `SELECT c.no, c.title, c.flow, c.status, COALESCE(lu.name, ''), COALESCE(c.handle_due_at, 0),
		CASE WHEN c.closed_at IS NULL THEN 0 ELSE 1 END,
		CASE WHEN c.closed_at IS NULL AND (c.overdue = 1 OR (c.handle_due_at IS NOT NULL AND c.handle_due_at < ?)) THEN 1 ELSE 0 END
		FROM taskforce_items i JOIN cases c ON c.id = i.case_id LEFT JOIN units lu ON lu.id = c.lead_unit_id
		WHERE i.taskforce_id = ? ORDER BY i.id DESC`, now, id)
	list, err := store.Collect(rows, err, func(sc store.Scanner) (Item, error) {
		var it Item
		var due int64
		var closed, overdue int
		err := sc.Scan(&it.CaseNo, &it.Title, &it.Flow, &it.Status, &it.Lead, &due, &closed, &overdue)
		if due > 0 {
			it.Due = time.UnixMilli(due).In(shanghai).Format(time.DateOnly)
		}
		it.Closed, it.Overdue = closed == 1, overdue == 1
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("task force inbox: %w", err)
	}
	return list, nil
}

// Detail is a task force with its members and inbox.
type Detail struct {
	TaskForce
	MemberList []Member `json:"member_list"`
	Inbox      []Item   `json:"inbox"`
}

// belowCounty reports whether a unit kind lies below county level.
func belowCounty(kind string) bool {
	switch kind {
	case org.KindCounty, org.KindDepartment, org.KindCity, org.KindProvince:
		return false
	}
	return true
}

// Get returns a task force with its members, inbox and warnings.
func (s *Service) Get(ctx context.Context, actor access.Actor, id int64) (Detail, error) {
	var d Detail
	t, err := s.get(ctx, s.db, id)
	if err != nil {
		return d, err
	}
	if !canRead(actor, t.UnitPath) {
		return d, store.NotFound("没有这个专班")
	}
	d.TaskForce = t
	if d.MemberList, err = s.members(ctx, id); err != nil {
		return d, err
	}
	if d.Inbox, err = s.items(ctx, id); err != nil {
		return d, err
	}
	s.warn(&d.TaskForce, d.MemberList, d.Inbox)
	return d, nil
}

// SettingOwnPostShare is the percent of a person's time their own post
// keeps when they serve part-time in task forces (default
// DefaultOwnPostShare): a person's shares warn when it and their task
// forces' shares add up to more than 100 %.
const (
	SettingOwnPostShare = "taskforce.own_post_share"
	DefaultOwnPostShare = 50
)

// CheckSetting refuses a bad value of the task forces' settings (the
// setting command calls it before storing).
func CheckSetting(key, value string) error {
	if key == SettingOwnPostShare {
		if v, err := strconv.Atoi(strings.TrimSpace(value)); err != nil || v < 0 || v > 100 {
			return store.Invalid("本职岗位投入比例应为0到100之间的整数（百分比）")
		}
	}
	return nil
}

// ownPostShare reads the setting, kept within 0–100.
func (s *Service) ownPostShare(ctx context.Context) (int, error) {
	v, err := settings.Int(ctx, s.db, SettingOwnPostShare, DefaultOwnPostShare)
	return min(max(v, 0), 100), err
}

func (s *Service) members(ctx context.Context, id int64) ([]Member, error) {
	own, err := s.ownPostShare(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.person_id, p.name, m.full_time, hu.name, hu.code, hu.kind, COALESCE(md.name, ''), COALESCE(i.name, ''), m.share,
		(SELECT COALESCE(SUM(o.share), 0) FROM taskforce_members o JOIN taskforces ot ON ot.id = o.taskforce_id WHERE o.person_id = m.person_id AND ot.closed_on = ''),
		CASE WHEN EXISTS (SELECT 1 FROM staffing_posts sp WHERE sp.person_id = m.person_id AND sp.ended_on = '')
			AND NOT EXISTS (SELECT 1 FROM taskforce_members o JOIN taskforces ot ON ot.id = o.taskforce_id
				WHERE o.person_id = m.person_id AND ot.closed_on = '' AND o.full_time = 1) THEN 1 ELSE 0 END,
		t.level
		FROM taskforce_members m JOIN taskforces t ON t.id = m.taskforce_id JOIN people p ON p.id = m.person_id JOIN units hu ON hu.id = m.home_unit_id
		LEFT JOIN unit_modules md ON md.id = m.module_id LEFT JOIN institutions i ON i.id = m.institution_id
		WHERE m.taskforce_id = ? ORDER BY m.full_time DESC, m.id`, id)
	return store.Collect(rows, err, func(sc store.Scanner) (Member, error) {
		var m Member
		var full int
		var level string
		var holdsPost int
		err := sc.Scan(&m.PersonID, &m.Name, &full, &m.HomeUnit, &m.HomeCode, &m.HomeKind, &m.Module, &m.Institution, &m.Share, &m.TotalShare, &holdsPost, &level)
		m.FullTime = full == 1
		if holdsPost == 1 {
			m.OwnPost = own
			m.TotalShare += own
		}
		m.Below = level == County && belowCounty(m.HomeKind)
		return m, err
	})
}

// warn fills the task force's warnings from its members and counts its
// open and overdue work items.
func (s *Service) warn(t *TaskForce, members []Member, items []Item) {
	t.OpenItems, t.OverdueItems = 0, 0
	for _, it := range items {
		if !it.Closed {
			t.OpenItems++
		}
		if it.Overdue {
			t.OverdueItems++
		}
	}
	t.Warnings = nil
	t.PastEnd = t.ClosedOn == "" && t.EndDay < s.today()
	if t.PastEnd {
		t.Warnings = append(t.Warnings, fmt.Sprintf("专班已过结束日期 %s 仍未撤销", t.EndDay))
	}
	if t.OverdueItems > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d件工单已超过办理期限", t.OverdueItems))
	}
	t.FromBelow, t.Overloaded = 0, 0
	for _, m := range members {
		if m.Below {
			t.FromBelow++
			t.Warnings = append(t.Warnings, fmt.Sprintf("%s来自县级以下单位（%s），县级专班不宜从基层借调", m.Name, m.HomeUnit))
		}
		if m.TotalShare > 100 {
			t.Overloaded++
			if m.OwnPost > 0 {
				t.Warnings = append(t.Warnings, fmt.Sprintf("%s的投入合计 %d%%（本职岗位 %d%%、各专班 %d%%），超过100%%", m.Name, m.TotalShare, m.OwnPost, m.TotalShare-m.OwnPost))
			} else {
				t.Warnings = append(t.Warnings, fmt.Sprintf("%s在各专班的投入合计 %d%%，超过100%%", m.Name, m.TotalShare))
			}
		}
	}
}

// List returns the task forces the actor may read, open ones first, with
// their warnings.
func (s *Service) List(ctx context.Context, actor access.Actor) ([]TaskForce, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	where, args := "1=1", []any(nil)
	if !org.ReadsAll(actor) {
		where, args = actor.SubtreeFilter("t.unit_path")
	}
	rows, err := s.db.Query(ctx, `SELECT `+tfCols+tfFrom+` WHERE `+where+` ORDER BY t.closed_on, t.level, u.code, t.id`, args...)
	list, err := store.Collect(rows, err, scanTF)
	if err != nil {
		return nil, fmt.Errorf("task forces: %w", err)
	}
	for i := range list {
		ms, err := s.members(ctx, list[i].ID)
		if err != nil {
			return nil, err
		}
		items, err := s.items(ctx, list[i].ID)
		if err != nil {
			return nil, err
		}
		s.warn(&list[i], ms, items)
	}
	return list, nil
}

// Figures are the task forces' counts: open, past their end, members, and
// the people over 100 %.
type Figures struct {
	Open         int `json:"open"`
	Closed       int `json:"closed"`
	County       int `json:"county"`
	Township     int `json:"township"`
	PastEnd      int `json:"past_end"`
	Members      int `json:"members"`
	FromBelow    int `json:"members_from_below_county"`
	Overloaded   int `json:"people_over_100"`
	Items        int `json:"work_items"`
	OpenItems    int `json:"work_items_open"`
	OverdueItems int `json:"work_items_overdue"`
	WithWarnings int `json:"with_warnings"`
}

// FiguresOf sums a list.
func FiguresOf(list []TaskForce) Figures {
	var f Figures
	for _, t := range list {
		if t.ClosedOn != "" {
			f.Closed++
			continue
		}
		f.Open++
		if t.Level == County {
			f.County++
		} else {
			f.Township++
		}
		if t.PastEnd {
			f.PastEnd++
		}
		f.Members += t.Members
		f.FromBelow += t.FromBelow
		f.Overloaded += t.Overloaded
		f.Items += t.Items
		f.OpenItems += t.OpenItems
		f.OverdueItems += t.OverdueItems
		if len(t.Warnings) > 0 {
			f.WithWarnings++
		}
	}
	return f
}

// Membership is a person's place in a task force (their page).
type Membership struct {
	TaskForceID int64  `json:"taskforce_id"`
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Role        string `json:"role"` // lead, deputy, member
	Share       int    `json:"share"`
	FullTime    bool   `json:"full_time"`
	Module      string `json:"module,omitempty"`
	ClosedOn    string `json:"closed_on,omitempty"`
}

// OfPerson lists the task forces a person leads, deputises or serves in.
func (s *Service) OfPerson(ctx context.Context, actor access.Actor, personID int64) ([]Membership, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name, u.name, t.unit_path, CASE WHEN t.lead_person_id = ? THEN 'lead' WHEN t.deputy_person_id = ? THEN 'deputy' ELSE 'member' END,
		COALESCE(m.share, 0), COALESCE(m.full_time, 0), COALESCE(md.name, ''), t.closed_on
		FROM taskforces t JOIN units u ON u.id = t.unit_id
		LEFT JOIN taskforce_members m ON m.taskforce_id = t.id AND m.person_id = ?
		LEFT JOIN unit_modules md ON md.id = m.module_id
		WHERE t.lead_person_id = ? OR t.deputy_person_id = ? OR m.id IS NOT NULL ORDER BY t.closed_on, t.id`,
		personID, personID, personID, personID, personID)
	type row struct {
		m    Membership
		path string
	}
	list, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
		var r row
		var full int
		err := sc.Scan(&r.m.TaskForceID, &r.m.Name, &r.m.Unit, &r.path, &r.m.Role, &r.m.Share, &full, &r.m.Module, &r.m.ClosedOn)
		r.m.FullTime = full == 1
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("task forces of person %d: %w", personID, err)
	}
	var out []Membership
	for _, r := range list {
		if canRead(actor, r.path) {
			out = append(out, r.m)
		}
	}
	return out, nil
}

// Candidate is a person who may be picked as a lead or member, with where
// they work.
type Candidate struct {
	ID            int64
	Name          string
	Unit          string
	InstitutionID int64
	Institution   string
	Module        string
}

// Institution is an office, team or centre of a unit and its module.
type Institution struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Module string `json:"module"`
}

// Institutions lists the offices, teams and centres of a task force's
// keeping unit with their modules (a member's home institution).
func (s *Service) Institutions(ctx context.Context, unitID int64) ([]Institution, error) {
	rows, err := s.db.Query(ctx, `SELECT i.id, i.name, i.kind, COALESCE(m.name, '') FROM institutions i LEFT JOIN unit_modules m ON m.id = i.module_id
		WHERE i.unit_id = ? ORDER BY m.sort, i.sort, i.id`, unitID)
	return store.Collect(rows, err, func(sc store.Scanner) (Institution, error) {
		var i Institution
		return i, sc.Scan(&i.ID, &i.Name, &i.Kind, &i.Module)
	})
}

// Candidates lists the cadres a task force kept at unitID may draw on: the
// cadres of the unit itself and of county departments (at most 400).
func (s *Service) Candidates(ctx context.Context, unitID int64) ([]Candidate, error) {
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, u.name FROM people p JOIN units u ON u.id = p.unit_id
		WHERE p.role = 'cadre' AND (p.unit_id = ? OR u.kind = 'department') ORDER BY CASE WHEN p.unit_id = ? THEN 0 ELSE 1 END, u.code, p.id LIMIT 400`, unitID, unitID)
	return store.Collect(rows, err, func(sc store.Scanner) (Candidate, error) {
		var c Candidate
		return c, sc.Scan(&c.ID, &c.Name, &c.Unit)
	})
}

// HasWarnings reports whether any of list warns.
func HasWarnings(list []TaskForce) bool {
	return slices.ContainsFunc(list, func(t TaskForce) bool { return len(t.Warnings) > 0 })
}
