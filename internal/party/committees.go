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
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The big working committee and the big party committee (街道"大工委"、
// 社区"大党委", seed 一(三)): a street's or township's party (working)
// committee and a community's party committee take part-time members
// (兼职委员) from the county departments and the co-building units of their
// area, each with a term and the unit they come from. The committee meets:
// a meeting record holds its date, place, attendees and decisions, the
// co-building commitments it took up (the open commitments of the area's
// agreements come to the agenda), and follow-up items, each of which can be
// raised as a case through the whistle intake of the case engine. Party-mass
// service centres (党群服务中心) are the places activities and meetings
// happen. Tables: 0025_party_committees.

// CommitteeKinds are the party organisations that are committees.
var CommitteeKinds = []string{"working_committee", "township_committee", "community_committee"}

// IsCommittee reports whether a party organisation of kind is a committee.
func IsCommittee(kind string) bool {
	for _, k := range CommitteeKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// followUpFlow is the intake a meeting's follow-up is raised through: a
// street or township committee summons departments (街道吹哨), a community
// committee registered members and co-building units (社区吹哨).
const followUpFlow = "whistle"

// CommitteeMember is a full or part-time member of a committee.
type CommitteeMember struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Post     string `json:"post,omitempty"`
	PartTime bool   `json:"part_time"`
	UnitCode string `json:"from_unit_code,omitempty"`
	UnitName string `json:"from_unit_name,omitempty"`
	TermFrom string `json:"term_from"`
	TermTo   string `json:"term_to"`
	// Current: the term holds today.
	Current bool `json:"current"`
	// PersonID is the person of the register the member is (0: a name
	// only, as older records).
	PersonID int64 `json:"person_id,omitempty"`
}

// CommitteeMemberInput is a new committee member.
type CommitteeMemberInput struct {
	Name     string `json:"name"`
	Post     string `json:"post"`
	PartTime bool   `json:"part_time"`
	Unit     string `json:"from_unit"` // the unit code a part-time member comes from
	TermFrom string `json:"term_from"`
	TermTo   string `json:"term_to"`
	// PersonID names the member as a person of the register: the name is
	// then theirs; a part-time member's unit defaults to their work unit
	// and must hold it, a full member works in the committee's area.
	PersonID int64 `json:"person_id"`
	Demo     bool  `json:"-"`
}

// Centre is a party-mass service centre (党群服务中心).
type Centre struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address,omitempty"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
}

// AgendaItem is an open co-building commitment of the committee's area.
type AgendaItem struct {
	CommitmentID  int64  `json:"commitment_id"`
	CommunityName string `json:"community_name"`
	UnitName      string `json:"unit_name"`
	What          string `json:"what"`
	Target        int    `json:"target"`
	Done          int    `json:"done"`
}

// FollowUp is a meeting's follow-up item; CaseNo names the case it was
// raised as.
type FollowUp struct {
	ID     int64  `json:"id"`
	What   string `json:"what"`
	CaseNo string `json:"case_no,omitempty"`
}

// Meeting is a committee meeting's record.
type Meeting struct {
	ID         int64        `json:"id"`
	HeldOn     string       `json:"held_on"`
	Title      string       `json:"title"`
	CentreID   int64        `json:"centre_id,omitempty"`
	CentreName string       `json:"centre_name,omitempty"`
	Attendees  string       `json:"attendees"`
	Decisions  string       `json:"decisions"`
	Agenda     []AgendaItem `json:"agenda"`
	FollowUps  []FollowUp   `json:"follow_ups"`
}

// MeetingInput is a new meeting record.
type MeetingInput struct {
	HeldOn    string   `json:"held_on"`
	Title     string   `json:"title"`
	CentreID  int64    `json:"centre_id"`
	Attendees string   `json:"attendees"`
	Decisions string   `json:"decisions"`
	Agenda    []int64  `json:"agenda"` // commitment ids
	FollowUps []string `json:"follow_ups"`
	Demo      bool     `json:"-"`
}

// Committee is a committee's page: its members, meetings, the open
// commitments for its agenda and the centres of its area.
type Committee struct {
	Code     string            `json:"code"`
	Name     string            `json:"name"`
	Kind     string            `json:"kind"`
	UnitCode string            `json:"unit_code"`
	UnitName string            `json:"unit_name"`
	Full     []CommitteeMember `json:"full_members"`
	PartTime []CommitteeMember `json:"part_time_members"`
	Meetings []Meeting         `json:"meetings"`
	Agenda   []AgendaItem      `json:"agenda"`
	Centres  []Centre          `json:"centres"`
	// MayKeep: the reader may add members and meetings.
	MayKeep bool `json:"may_keep"`
}

// committeeByCode finds a committee the actor may read.
func (s *Service) committeeByCode(ctx context.Context, q querier, actor access.Actor, code string) (partyOrg, error) {
	o, err := partyOrgByCode(ctx, q, code)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return o, store.NotFoundf("找不到党组织代码 %s", strings.TrimSpace(code))
		}
		return o, err
	}
	if !canRead(actor, o.UnitPath) {
		return o, store.NotFoundf("找不到党组织代码 %s", o.Code)
	}
	if !IsCommittee(o.Kind) {
		return o, store.Invalidf("%s不是街道党工委、乡镇党委或社区党委", o.Name)
	}
	return o, nil
}

// mayKeepCommittee: the organisation department, administrators and the
// township or community staff whose subtree holds the committee's unit.
func (s *Service) mayKeepCommittee(ctx context.Context, actor access.Actor, o partyOrg) (bool, error) {
	return s.mayCommunity(ctx, actor, o.UnitPath)
}

// Committee returns a committee's page.
func (s *Service) Committee(ctx context.Context, actor access.Actor, code string) (Committee, error) {
	o, err := s.committeeByCode(ctx, s.db, actor, code)
	if err != nil {
		return Committee{}, err
	}
	c := Committee{Code: o.Code, Name: o.Name, Kind: o.Kind, UnitCode: o.UnitCode, UnitName: o.UnitName,
		Full: []CommitteeMember{}, PartTime: []CommitteeMember{}}
	if c.MayKeep, err = s.mayKeepCommittee(ctx, actor, o); err != nil {
		return c, err
	}
	today := s.now().In(shanghai).Format("2006-01-02")
	rows, err := s.db.Query(ctx, `SELECT m.id, m.name, m.post, m.part_time, COALESCE(u.code, ''), COALESCE(u.name, ''), m.term_from, m.term_to,
		COALESCE(m.person_id, 0)
		FROM committee_members m LEFT JOIN units u ON u.id = m.from_unit_id WHERE m.party_org_id = ? ORDER BY m.part_time, m.term_to DESC, m.id`, o.ID)
	members, err := store.Collect(rows, err, func(sc store.Scanner) (CommitteeMember, error) {
		var m CommitteeMember
		var pt int
		err := sc.Scan(&m.ID, &m.Name, &m.Post, &pt, &m.UnitCode, &m.UnitName, &m.TermFrom, &m.TermTo, &m.PersonID)
		m.PartTime, m.Current = pt == 1, m.TermFrom <= today && today <= m.TermTo
		return m, err
	})
	if err != nil {
		return c, fmt.Errorf("committee members: %w", err)
	}
	for _, m := range members {
		if m.PartTime {
			c.PartTime = append(c.PartTime, m)
		} else {
			c.Full = append(c.Full, m)
		}
	}
	if c.Agenda, err = s.openCommitments(ctx, o.UnitPath, 50); err != nil {
		return c, err
	}
	if c.Centres, err = s.centresFor(ctx, o.UnitPath); err != nil {
		return c, err
	}
	if c.Meetings, err = s.meetings(ctx, o.ID, 20); err != nil {
		return c, err
	}
	if c.Agenda == nil {
		c.Agenda = []AgendaItem{}
	}
	if c.Centres == nil {
		c.Centres = []Centre{}
	}
	if c.Meetings == nil {
		c.Meetings = []Meeting{}
	}
	return c, nil
}

// CommitteeSeat is a seat a person holds on a committee (大工委、大党委):
// the committee, the member's post, full or part-time, the unit a
// part-time member comes from, and the term.
type CommitteeSeat struct {
	CommitteeCode string `json:"committee_code"`
	CommitteeName string `json:"committee_name"`
	CommitteeUnit string `json:"committee_unit_name"`
	CommitteeMember
}

// SeatsOf lists the committee seats of a person of the register (members
// named by person_id, migration 0031) on the committees the actor may
// read, the latest term first.
func (s *Service) SeatsOf(ctx context.Context, actor access.Actor, personID int64) ([]CommitteeSeat, error) {
	today := s.now().In(shanghai).Format("2006-01-02")
	rows, err := s.db.Query(ctx, `SELECT o.code, o.name, cu.name, cu.path, m.id, m.name, m.post, m.part_time, COALESCE(fu.code, ''), COALESCE(fu.name, ''),
		m.term_from, m.term_to, m.person_id
		FROM committee_members m JOIN party_orgs o ON o.id = m.party_org_id JOIN units cu ON cu.id = o.unit_id
		LEFT JOIN units fu ON fu.id = m.from_unit_id WHERE m.person_id = ? ORDER BY m.term_to DESC, m.id`, personID)
	type row struct {
		seat CommitteeSeat
		path string
	}
	all, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
		var r row
		var pt int
		m := &r.seat.CommitteeMember
		err := sc.Scan(&r.seat.CommitteeCode, &r.seat.CommitteeName, &r.seat.CommitteeUnit, &r.path, &m.ID, &m.Name, &m.Post, &pt,
			&m.UnitCode, &m.UnitName, &m.TermFrom, &m.TermTo, &m.PersonID)
		m.PartTime, m.Current = pt == 1, m.TermFrom <= today && today <= m.TermTo
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("committee seats of %d: %w", personID, err)
	}
	var out []CommitteeSeat
	for _, r := range all {
		if canRead(actor, r.path) {
			out = append(out, r.seat)
		}
	}
	return out, nil
}

// openCommitments lists the commitments of the area's agreements that are
// not yet done (the agenda's candidates), the least done first.
func (s *Service) openCommitments(ctx context.Context, areaPath string, limit int) ([]AgendaItem, error) {
	lo, hi := access.PathRange(areaPath)
	rows, err := s.db.Query(ctx, `SELECT m.id, c.name, u.name, m.what, m.target, m.done FROM co_building_commitments m
		JOIN co_building b ON b.id = m.agreement_id JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id
		WHERE c.path >= ? AND c.path < ? AND m.done < m.target ORDER BY (m.done * 100 / m.target), m.id LIMIT ?`, lo, hi, limit)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (AgendaItem, error) {
		var a AgendaItem
		return a, sc.Scan(&a.CommitmentID, &a.CommunityName, &a.UnitName, &a.What, &a.Target, &a.Done)
	})
	if err != nil {
		return nil, fmt.Errorf("open commitments: %w", err)
	}
	return out, nil
}

// centresFor lists the centres of the unit at path, its ancestors and its
// subtree (a township's centre serves its communities).
func (s *Service) centresFor(ctx context.Context, path string) ([]Centre, error) {
	lo, hi := access.PathRange(path)
	args := []any{lo, hi}
	anc := "0"
	for _, id := range pathIDs(path) {
		anc += ", ?"
		args = append(args, id)
	}
	rows, err := s.db.Query(ctx, `SELECT pc.id, pc.name, pc.address, u.code, u.name FROM party_centres pc JOIN units u ON u.id = pc.unit_id
		WHERE (u.path >= ? AND u.path < ?) OR u.id IN (`+anc+`) ORDER BY u.path, pc.name LIMIT 200`, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (Centre, error) {
		var c Centre
		return c, sc.Scan(&c.ID, &c.Name, &c.Address, &c.UnitCode, &c.UnitName)
	})
	if err != nil {
		return nil, fmt.Errorf("centres: %w", err)
	}
	return out, nil
}

// Centres lists the party-mass service centres an activity or meeting at
// the unit may name: the unit's own, its ancestors' and its subtree's.
func (s *Service) Centres(ctx context.Context, actor access.Actor, unitCode string) ([]Centre, error) {
	u, err := unitByCode(ctx, s.db, unitCode)
	if err != nil {
		return nil, err
	}
	if !canRead(actor, u.Path) {
		return nil, store.NotFoundf("找不到单位编码 %s", u.Code)
	}
	return s.centresFor(ctx, u.Path)
}

// AddCentre records a party-mass service centre of a township, street or
// community.
func (s *Service) AddCentre(ctx context.Context, actor access.Actor, unitCode, name, address string, demo bool) (Centre, error) {
	name, address = strings.TrimSpace(name), strings.TrimSpace(address)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return Centre{}, store.Invalid("请填写党群服务中心的名称（最多60字）")
	}
	if utf8.RuneCountInString(address) > 200 {
		return Centre{}, store.Invalid("地址最多200字")
	}
	var c Centre
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitByCode(ctx, tx, unitCode)
		if err != nil {
			return err
		}
		switch u.Kind {
		case "township", "street", "community", "village":
		default:
			return store.Invalidf("党群服务中心应属于乡镇（街道）或社区（村），%s不是", u.Name)
		}
		if ok, err := s.mayCommunity(ctx, actor, u.Path); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("无权登记%s的党群服务中心", u.Name)
		}
		c = Centre{Name: name, Address: address, UnitCode: u.Code, UnitName: u.Name}
		err = tx.QueryRow(ctx, `INSERT INTO party_centres (unit_id, name, address, demo, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.ID, name, address, store.BoolInt(demo), store.Millis(s.now())).Scan(&c.ID)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrConflict) {
				return store.Invalidf("%s已有名为“%s”的党群服务中心", u.Name, name)
			}
			return fmt.Errorf("add centre: %w", err)
		}
		if demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.centre.add", Entity: "party_centre", EntityID: fmt.Sprint(c.ID),
			After: map[string]string{"unit": u.Code, "name": name}})
	})
	return c, err
}

// centreIn checks that centre id serves the unit at path (inside tx) and
// returns its name.
func centreIn(ctx context.Context, tx *store.Tx, id int64, path string) (string, error) {
	var name, upath string
	err := tx.QueryRow(ctx, `SELECT pc.name, u.path FROM party_centres pc JOIN units u ON u.id = pc.unit_id WHERE pc.id = ?`, id).Scan(&name, &upath)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return "", store.Invalid("找不到该党群服务中心")
	}
	if err != nil {
		return "", fmt.Errorf("centre %d: %w", id, err)
	}
	if !strings.HasPrefix(path, upath) && !strings.HasPrefix(upath, path) {
		return "", store.Invalid("该党群服务中心不在本辖区")
	}
	return name, nil
}

// AddCommitteeMember adds a full or part-time member to a committee. A
// part-time member comes from a county department or from a unit with a
// co-building agreement with a community of the committee's area.
func (s *Service) AddCommitteeMember(ctx context.Context, actor access.Actor, code string, in CommitteeMemberInput) (CommitteeMember, error) {
	in.Name, in.Post = strings.TrimSpace(in.Name), strings.TrimSpace(in.Post)
	var person Member
	if in.PersonID != 0 {
		p, err := loadMember(ctx, s.db, in.PersonID)
		if err != nil {
			return CommitteeMember{}, err
		}
		person, in.Name = p, p.Name
		if in.PartTime && strings.TrimSpace(in.Unit) == "" {
			in.Unit = p.UnitCode
		}
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 40 {
		return CommitteeMember{}, store.Invalid("请填写委员姓名（最多40字）")
	}
	if utf8.RuneCountInString(in.Post) > 40 {
		return CommitteeMember{}, store.Invalid("职务最多40字")
	}
	from, err := parseDay(in.TermFrom, "任期起始日")
	if err != nil {
		return CommitteeMember{}, err
	}
	to, err := parseDay(in.TermTo, "任期截止日")
	if err != nil {
		return CommitteeMember{}, err
	}
	if !to.After(from) {
		return CommitteeMember{}, store.Invalid("任期截止日应晚于起始日")
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return CommitteeMember{}, store.Invalid("任期最长5年")
	}
	var m CommitteeMember
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		o, err := s.committeeByCode(ctx, tx, actor, code)
		if err != nil {
			return err
		}
		if ok, err := s.mayKeepCommittee(ctx, actor, o); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("无权维护%s的委员", o.Name)
		}
		var fromUnit any
		m = CommitteeMember{Name: in.Name, Post: in.Post, PartTime: in.PartTime, TermFrom: from.Format("2006-01-02"), TermTo: to.Format("2006-01-02")}
		if in.PartTime {
			if strings.TrimSpace(in.Unit) == "" {
				return store.Invalid("兼职委员请选择其所在的县直部门或共建单位")
			}
			u, err := unitByCode(ctx, tx, in.Unit)
			if err != nil {
				return err
			}
			if u.Kind != "department" {
				lo, hi := access.PathRange(o.UnitPath)
				var n int
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM co_building b JOIN units c ON c.id = b.community_unit_id
					WHERE b.unit_id = ? AND c.path >= ? AND c.path < ?`, u.ID, lo, hi).Scan(&n); err != nil {
					return fmt.Errorf("co-building of %s: %w", u.Code, err)
				}
				if n == 0 {
					return store.Invalidf("%s既不是县直部门，也不是%s辖区的共建单位", u.Name, o.UnitName)
				}
			}
			if person.PersonID != 0 && !strings.HasPrefix(person.UnitPath, u.Path) {
				return store.Invalidf("该人员不在%s工作，兼职委员应来自其所在单位", u.Name)
			}
			fromUnit, m.UnitCode, m.UnitName = u.ID, u.Code, u.Name
		} else if person.PersonID != 0 && !strings.HasPrefix(person.UnitPath, o.UnitPath) {
			// A full member works in the committee's area; no name is told for one who does not.
			return store.Invalidf("该人员不在%s辖区工作，专职委员应来自本辖区", o.UnitName)
		}
		m.PersonID = person.PersonID
		if m.PersonID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM committee_members WHERE party_org_id = ? AND person_id = ? AND term_to >= ? AND term_from <= ?`,
				o.ID, m.PersonID, m.TermFrom, m.TermTo).Scan(&n); err != nil {
				return fmt.Errorf("committee member %d: %w", m.PersonID, err)
			}
			if n > 0 {
				return store.Conflictf("%s在该任期内已是%s的委员", m.Name, o.Name)
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO committee_members (party_org_id, name, post, part_time, from_unit_id, person_id, term_from, term_to, demo, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.ID, m.Name, m.Post, store.BoolInt(m.PartTime), fromUnit, store.NullID(m.PersonID), m.TermFrom, m.TermTo,
			store.BoolInt(in.Demo), store.NullID(actor.UserID), store.Millis(s.now())).Scan(&m.ID)
		if err != nil {
			return fmt.Errorf("add committee member: %w", store.Normalize(err))
		}
		today := s.now().In(shanghai).Format("2006-01-02")
		m.Current = m.TermFrom <= today && today <= m.TermTo
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.committee.member", Entity: "party_org", EntityID: o.Code,
			After: map[string]any{"name": m.Name, "person": m.PersonID, "part_time": m.PartTime, "from_unit": m.UnitCode, "term": m.TermFrom + "~" + m.TermTo}})
	})
	return m, err
}

// RecordMeeting records a committee meeting with the commitments it took
// up and its follow-up items.
func (s *Service) RecordMeeting(ctx context.Context, actor access.Actor, code string, in MeetingInput) (Meeting, error) {
	in.Title, in.Attendees, in.Decisions = strings.TrimSpace(in.Title), strings.TrimSpace(in.Attendees), strings.TrimSpace(in.Decisions)
	day, err := parseDay(in.HeldOn, "会议日期")
	if err != nil {
		return Meeting{}, err
	}
	switch {
	case day.After(s.now()):
		return Meeting{}, store.Invalid("会议日期不能晚于今天")
	case in.Title == "" || utf8.RuneCountInString(in.Title) > 100:
		return Meeting{}, store.Invalid("请填写会议名称（最多100字）")
	case in.Attendees == "" || utf8.RuneCountInString(in.Attendees) > 1000:
		return Meeting{}, store.Invalid("请填写参会人员（最多1000字）")
	case in.Decisions == "" || utf8.RuneCountInString(in.Decisions) > 4000:
		return Meeting{}, store.Invalid("请填写会议议定事项（最多4000字）")
	case len(in.Agenda) > 50 || len(in.FollowUps) > 30:
		return Meeting{}, store.Invalid("一次会议最多50项议题、30项后续事项")
	}
	var followUps []string
	for _, f := range in.FollowUps {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if utf8.RuneCountInString(f) > 200 {
			return Meeting{}, store.Invalid("每项后续事项最多200字")
		}
		followUps = append(followUps, f)
	}
	var id, orgID int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		o, err := s.committeeByCode(ctx, tx, actor, code)
		if err != nil {
			return err
		}
		if ok, err := s.mayKeepCommittee(ctx, actor, o); err != nil {
			return err
		} else if !ok {
			return store.Forbiddenf("无权记录%s的会议", o.Name)
		}
		orgID = o.ID
		if in.CentreID != 0 {
			if _, err := centreIn(ctx, tx, in.CentreID, o.UnitPath); err != nil {
				return err
			}
		}
		now := store.Millis(s.now())
		if err := tx.QueryRow(ctx, `INSERT INTO committee_meetings (party_org_id, held_on, centre_id, title, attendees, decisions, demo, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.ID, day.Format("2006-01-02"), store.NullID(in.CentreID), in.Title, in.Attendees, in.Decisions,
			store.BoolInt(in.Demo), store.NullID(actor.UserID), now).Scan(&id); err != nil {
			return fmt.Errorf("record meeting: %w", store.Normalize(err))
		}
		lo, hi := access.PathRange(o.UnitPath)
		seen := map[int64]bool{}
		for _, cid := range in.Agenda {
			if seen[cid] {
				continue
			}
			seen[cid] = true
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM co_building_commitments m JOIN co_building b ON b.id = m.agreement_id
				JOIN units c ON c.id = b.community_unit_id WHERE m.id = ? AND c.path >= ? AND c.path < ?`, cid, lo, hi).Scan(&n); err != nil {
				return fmt.Errorf("agenda commitment: %w", err)
			}
			if n == 0 {
				return store.Invalid("议题中的共建承诺不属于本辖区的共建协议")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO meeting_agenda (meeting_id, commitment_id) VALUES (?, ?)`, id, cid); err != nil {
				return fmt.Errorf("agenda: %w", store.Normalize(err))
			}
		}
		for _, f := range followUps {
			if _, err := tx.Exec(ctx, `INSERT INTO meeting_followups (meeting_id, what, created_at) VALUES (?, ?, ?)`, id, f, now); err != nil {
				return fmt.Errorf("follow-up: %w", store.Normalize(err))
			}
		}
		if in.Demo {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.committee.meeting", Entity: "party_org", EntityID: o.Code,
			After: map[string]any{"meeting": id, "held_on": day.Format("2006-01-02"), "agenda": len(seen), "follow_ups": len(followUps)}})
	})
	if err != nil {
		return Meeting{}, err
	}
	ms, err := s.meetingsWhere(ctx, `g.id = ?`, id)
	if err != nil || len(ms) == 0 {
		return Meeting{}, fmt.Errorf("meeting %d of %d: %w", id, orgID, err)
	}
	return ms[0], nil
}

func (s *Service) meetings(ctx context.Context, orgID int64, limit int) ([]Meeting, error) {
	return s.meetingsWhere(ctx, `g.party_org_id = ? ORDER BY g.held_on DESC, g.id DESC LIMIT ?`, orgID, limit)
}

func (s *Service) meetingsWhere(ctx context.Context, where string, args ...any) ([]Meeting, error) {
	rows, err := s.db.Query(ctx, `SELECT g.id, g.held_on, g.title, COALESCE(g.centre_id, 0), COALESCE(pc.name, ''), g.attendees, g.decisions
		FROM committee_meetings g LEFT JOIN party_centres pc ON pc.id = g.centre_id WHERE `+where, args...)
	list, err := store.Collect(rows, err, func(sc store.Scanner) (Meeting, error) {
		var m Meeting
		m.Agenda, m.FollowUps = []AgendaItem{}, []FollowUp{}
		return m, sc.Scan(&m.ID, &m.HeldOn, &m.Title, &m.CentreID, &m.CentreName, &m.Attendees, &m.Decisions)
	})
	if err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	for i := range list {
		m := &list[i]
		rows, err := s.db.Query(ctx, `SELECT m.id, c.name, u.name, m.what, m.target, m.done FROM meeting_agenda a
			JOIN co_building_commitments m ON m.id = a.commitment_id JOIN co_building b ON b.id = m.agreement_id
			JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id WHERE a.meeting_id = ? ORDER BY m.id`, m.ID)
		if m.Agenda, err = store.Collect(rows, err, func(sc store.Scanner) (AgendaItem, error) {
			var a AgendaItem
			return a, sc.Scan(&a.CommitmentID, &a.CommunityName, &a.UnitName, &a.What, &a.Target, &a.Done)
		}); err != nil {
			return nil, fmt.Errorf("meeting agenda: %w", err)
		}
		rows, err = s.db.Query(ctx, `SELECT f.id, f.what, COALESCE(c.no, '') FROM meeting_followups f LEFT JOIN cases c ON c.id = f.case_id
			WHERE f.meeting_id = ? ORDER BY f.id`, m.ID)
		if m.FollowUps, err = store.Collect(rows, err, func(sc store.Scanner) (FollowUp, error) {
			var f FollowUp
			return f, sc.Scan(&f.ID, &f.What, &f.CaseNo)
		}); err != nil {
			return nil, fmt.Errorf("meeting follow-ups: %w", err)
		}
		if m.Agenda == nil {
			m.Agenda = []AgendaItem{}
		}
		if m.FollowUps == nil {
			m.FollowUps = []FollowUp{}
		}
	}
	return list, nil
}

// RaiseFollowUp raises a meeting's follow-up item as a case through the
// whistle intake, at the committee's unit, summoning the units named
// (codes, e.g. a part-time member's department); it returns the case.
func (s *Service) RaiseFollowUp(ctx context.Context, actor access.Actor, followUpID int64, summon []string) (casework.Case, error) {
	var what, orgCode, orgKind, unitCode, orgName, caseNo string
	var unitPath string
	err := s.db.QueryRow(ctx, `SELECT f.what, o.code, o.kind, o.name, u.code, u.path, COALESCE(c.no, '') FROM meeting_followups f
		JOIN committee_meetings g ON g.id = f.meeting_id JOIN party_orgs o ON o.id = g.party_org_id JOIN units u ON u.id = o.unit_id
		LEFT JOIN cases c ON c.id = f.case_id WHERE f.id = ?`, followUpID).Scan(&what, &orgCode, &orgKind, &orgName, &unitCode, &unitPath, &caseNo)
	if errors.Is(store.Normalize(err), store.ErrNotFound) || (err == nil && !canRead(actor, unitPath)) {
		return casework.Case{}, store.NotFound("找不到该后续事项")
	}
	if err != nil {
		return casework.Case{}, fmt.Errorf("follow-up %d: %w", followUpID, err)
	}
	if ok, err := s.mayCommunity(ctx, actor, unitPath); err != nil {
		return casework.Case{}, err
	} else if !ok {
		return casework.Case{}, store.Forbiddenf("无权将%s的后续事项转为工单", orgName)
	}
	if caseNo != "" {
		return casework.Case{}, store.Invalidf("该后续事项已转为工单 %s", caseNo)
	}
	kind := casework.WhistleStreet
	if orgKind == "community_committee" {
		kind = casework.WhistleCommunity
	}
	var codes []string
	for _, c := range summon {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	c, _, err := s.cases.Create(ctx, actor, casework.NewCase{Flow: followUpFlow, Kind: kind, Title: what,
		Body: orgName + "会议后续事项", Channel: "web", PlaceUnit: unitCode, Summon: codes})
	if err != nil {
		return c, err
	}
	res, err := s.db.Exec(ctx, `UPDATE meeting_followups SET case_id = (SELECT id FROM cases WHERE no = ?) WHERE id = ? AND case_id IS NULL`, c.No, followUpID)
	if err != nil {
		return c, fmt.Errorf("follow-up %d case: %w", followUpID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return c, store.Conflict("该后续事项已同时转为另一工单")
	}
	return c, nil
}

// DemoCentres counts the demonstration centres loaded (the demo adds its
// centres and committees once).
func (s *Service) DemoCentres(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM party_centres WHERE demo = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("demo centres: %w", err)
	}
	return n, nil
}

// LinkDemoCentres names, on the demonstration activities, the centre of
// their community whose name is their place.
func (s *Service) LinkDemoCentres(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `UPDATE party_activities SET centre_id = (SELECT pc.id FROM party_centres pc
		WHERE pc.unit_id = party_activities.community_unit_id AND pc.name = party_activities.place)
		WHERE demo = 1 AND centre_id IS NULL`)
	if err != nil {
		return fmt.Errorf("demo activities' centres: %w", err)
	}
	return nil
}
