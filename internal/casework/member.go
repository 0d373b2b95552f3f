package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Party members answer community whistles on their own page. They are
// people (org's people table), not staff users: a staff account would let
// them see their community's whole case load. Community staff issue each
// member a personal link (/m/member/<token>) to open on the phone; whoever
// holds the link acts as that person, on that person's own parts only
// (ScopePerson), and community staff may record the steps for a member who
// has no phone. Issuing a new link revokes the old one.

// Member is a person acting through their personal link.
type Member struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	UnitID   int64  `json:"-"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	UnitPath string `json:"-"`
	// HomeCode and HomeName name the community where the member is
	// registered (dual registration), when any.
	HomeCode string `json:"home_code,omitempty"`
	HomeName string `json:"home_name,omitempty"`
}

func memberTokenHash(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}

func loadMember(ctx context.Context, q querier, personID int64) (Member, error) {
	var m Member
	err := q.QueryRow(ctx, `SELECT p.id, p.name, p.role, u.id, u.code, u.name, u.path, COALESCE(h.code, ''), COALESCE(h.name, '')
		FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN units h ON h.id = p.home_unit_id WHERE p.id = ?`, personID).
		Scan(&m.PersonID, &m.Name, &m.Role, &m.UnitID, &m.UnitCode, &m.UnitName, &m.UnitPath, &m.HomeCode, &m.HomeName)
	if err != nil {
		err = store.Normalize(err)
		if isNotFound(err) {
			return m, store.NotFound("找不到该人员")
		}
		return m, fmt.Errorf("person %d: %w", personID, err)
	}
	return m, nil
}

// IssueMemberLink gives a person a new personal link token (returned once;
// only its hash is kept) and revokes the old ones. Staff of the person's
// community or unit (or above it) may issue it.
func (s *Service) IssueMemberLink(ctx context.Context, actor access.Actor, personID int64) (string, error) {
	if !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return "", store.Forbidden("只有社区、乡镇工作人员可以发放党员个人链接")
	}
	var token string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := loadMember(ctx, tx, personID)
		if err != nil {
			return err
		}
		var homePath string
		if m.HomeCode != "" {
			if err := tx.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, m.HomeCode).Scan(&homePath); err != nil {
				return fmt.Errorf("home unit: %w", err)
			}
		}
		if !actor.SeesPath(m.UnitPath) && (homePath == "" || !actor.SeesPath(homePath)) {
			return store.Forbidden("该人员不在您的辖区")
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token = "gm_" + base64.RawURLEncoding.EncodeToString(b)
		now := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE member_links SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, now, personID); err != nil {
			return fmt.Errorf("revoke old links: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO member_links (person_id, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)`,
			personID, memberTokenHash(token), nullID(actor.UserID), now); err != nil {
			return fmt.Errorf("issue link: %w", store.Normalize(err))
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "member.link", Entity: "person", EntityID: fmt.Sprint(personID),
			After: map[string]any{"name": m.Name}})
	})
	return token, err
}

// MemberByToken returns the person a personal link belongs to.
func (s *Service) MemberByToken(ctx context.Context, token string) (Member, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, "gm_") || len(token) > 100 {
		return Member{}, store.NotFound("链接无效或已失效，请联系社区重新获取")
	}
	var pid int64
	err := s.db.QueryRow(ctx, `SELECT person_id FROM member_links WHERE token_hash = ? AND revoked_at IS NULL`, memberTokenHash(token)).Scan(&pid)
	if err != nil {
		if isNotFound(store.Normalize(err)) {
			return Member{}, store.NotFound("链接无效或已失效，请联系社区重新获取")
		}
		return Member{}, fmt.Errorf("member link: %w", err)
	}
	return loadMember(ctx, s.db, pid)
}

// memberActor is how a person appears on the timeline and in the audit
// trail: by name, at the unit of their part, without a user account.
func memberActor(m Member) access.Actor {
	return access.Actor{Name: m.Name + "（党员本人）", UnitID: m.UnitID, UnitCode: m.UnitCode, UnitName: m.UnitName, UnitPath: m.UnitPath}
}

// MemberPart is one of a person's parts, as their own page shows it.
type MemberPart struct {
	Case       Case         `json:"case"`
	Assignment Assignment   `json:"assignment"`
	Actions    []ActionSpec `json:"actions"`
}

// MemberParts lists a person's parts: open ones first, then the latest
// closed ones, with the actions they may take on each now.
func (s *Service) MemberParts(ctx context.Context, personID int64, limit int) ([]MemberPart, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT c.no FROM assignments a JOIN cases c ON c.id = a.case_id WHERE a.person_id = ?
		ORDER BY CASE WHEN a.closed_at IS NULL THEN 0 ELSE 1 END, a.id DESC LIMIT ?`, personID, limit)
	if err != nil {
		return nil, fmt.Errorf("member parts: %w", err)
	}
	var nos []string
	for rows.Next() {
		var no string
		if err := rows.Scan(&no); err != nil {
			rows.Close()
			return nil, err
		}
		nos = append(nos, no)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []MemberPart
	seen := map[string]bool{}
	for _, no := range nos {
		if seen[no] {
			continue
		}
		seen[no] = true
		d, err := loadDetail(ctx, s.db, false, "c.no = ?", no)
		if err != nil {
			return nil, err
		}
		if err := s.fillReturnBy(ctx, &d); err != nil {
			return nil, err
		}
		acts := s.memberActions(personID, d)
		for _, a := range d.Assignments {
			if a.PersonID != personID {
				continue
			}
			var mine []ActionSpec
			for _, spec := range acts {
				if spec.On == OnAssignment && containsID(spec.Assignments, a.ID) {
					mine = append(mine, spec)
				}
			}
			out = append(out, MemberPart{Case: d.Case, Assignment: a, Actions: mine})
		}
	}
	return out, nil
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// memberActions are the assignment actions a person may take on the case now.
func (s *Service) memberActions(personID int64, d CaseDetail) []ActionSpec {
	flow, ok := s.flows[d.Case.Flow]
	if !ok {
		return nil
	}
	var out []ActionSpec
	for _, spec := range flow.Actions {
		if spec.On != OnAssignment || !statusAllowed(flow, spec, &d.Case) {
			continue
		}
		spec.Assignments = nil
		for _, a := range candidates(spec, &d) {
			if permittedAs(access.Actor{}, personID, spec, &d, a) && s.guard(spec, &d.Case, a, d.set, s.now()) == nil {
				spec.Assignments = append(spec.Assignments, a.ID)
			}
		}
		if len(spec.Assignments) > 0 {
			out = append(out, spec)
		}
	}
	return out
}

// MemberDo takes an action as the person of a personal link, on their own
// part of the case (accept, refuse, report in, report the result), in one
// transaction like Do.
func (s *Service) MemberDo(ctx context.Context, m Member, no string, act Action) (Case, error) {
	no = strings.TrimSpace(no)
	var out Case
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := loadDetail(ctx, tx, false, "c.no = ?", no)
		if err != nil {
			if isNotFound(err) {
				return caseNotFound(no)
			}
			return err
		}
		mine := false
		for _, a := range d.Assignments {
			if a.PersonID == m.PersonID {
				mine = true
				if act.AssignmentID == 0 && a.Open() {
					act.AssignmentID = a.ID
				}
			}
		}
		if !mine {
			return caseNotFound(no)
		}
		actor := memberActor(m)
		for _, a := range d.Assignments {
			if a.ID == act.AssignmentID {
				actor.UnitID, actor.UnitPath = a.UnitID, a.UnitPath
			}
		}
		x, err := s.newActx(ctx, tx, actor, &d)
		if err != nil {
			return err
		}
		x.person = m.PersonID
		if err := x.apply(ctx, act, nil); err != nil {
			return err
		}
		out, err = loadCase(ctx, tx, "c.id = ?", d.Case.ID)
		return err
	})
	if err != nil {
		return Case{}, err
	}
	s.log.InfoContext(ctx, "member action", "case_no", no, "action", act.Name, "person_id", m.PersonID, "status", out.Status)
	return out, nil
}

// VolunteerRecord is one credited piece of volunteer service.
type VolunteerRecord struct {
	CaseNo    string    `json:"case_no"`
	Title     string    `json:"title"`
	UnitName  string    `json:"unit_name"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Minutes   int       `json:"minutes"`
}

// VolunteerSummary is a person's volunteer service.
type VolunteerSummary struct {
	Times   int               `json:"times"`
	Minutes int               `json:"minutes"`
	Records []VolunteerRecord `json:"records"`
}

// Hours is the total in hours (one decimal).
func (v VolunteerSummary) Hours() string { return fmt.Sprintf("%.1f", float64(v.Minutes)/60) }

// Volunteer returns a person's credited volunteer service, newest first.
func (s *Service) Volunteer(ctx context.Context, personID int64) (VolunteerSummary, error) {
	var out VolunteerSummary
	rows, err := s.db.Query(ctx, `SELECT c.no, c.title, u.name, v.started_at, v.ended_at, v.minutes FROM volunteer_hours v
		JOIN cases c ON c.id = v.case_id JOIN units u ON u.id = v.unit_id WHERE v.person_id = ? ORDER BY v.started_at DESC, v.id DESC`, personID)
	if err != nil {
		return out, fmt.Errorf("volunteer hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r VolunteerRecord
		var st, en int64
		if err := rows.Scan(&r.CaseNo, &r.Title, &r.UnitName, &st, &en, &r.Minutes); err != nil {
			return out, err
		}
		r.StartedAt, r.EndedAt = time.UnixMilli(st).In(shanghai), time.UnixMilli(en).In(shanghai)
		out.Times++
		out.Minutes += r.Minutes
		out.Records = append(out.Records, r)
	}
	return out, rows.Err()
}

// Summonable is a party a whistle may summon, for the whistle form.
type Summonable struct {
	// Code is a unit code; PersonID is set instead for a person.
	Code     string `json:"code,omitempty"`
	PersonID int64  `json:"person_id,omitempty"`
	Name     string `json:"name"`
	// What says what the party is: a unit kind or a person's role.
	What string `json:"what"`
	// At names the unit a person works at.
	At string `json:"at,omitempty"`
}

// Summonables lists whom a whistle of kind blown for the place (a unit
// code) may summon: county departments and local units for street and
// resident whistles; the party members registered at the community and its
// co-building organisations for community whistles; the grid workers,
// cadres and grids of the township for organisation whistles.
func (s *Service) Summonables(ctx context.Context, actor access.Actor, kind, placeCode string) ([]Summonable, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	var place unitRef
	if placeCode != "" {
		err := s.db.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE code = ?`, strings.TrimSpace(placeCode)).
			Scan(&place.ID, &place.Code, &place.Name, &place.Kind, &place.Path)
		if err != nil {
			if isNotFound(store.Normalize(err)) {
				return nil, store.Invalid(fmt.Sprintf("找不到单位编码 %s", placeCode))
			}
			return nil, err
		}
	}
	var out []Summonable
	scanUnits := func(query string, args ...any) error {
		rows, err := s.db.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("summonable units: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x Summonable
			if err := rows.Scan(&x.Code, &x.Name, &x.What); err != nil {
				return err
			}
			out = append(out, x)
		}
		return rows.Err()
	}
	scanPeople := func(query string, args ...any) error {
		rows, err := s.db.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("summonable people: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x Summonable
			if err := rows.Scan(&x.PersonID, &x.Name, &x.What, &x.At); err != nil {
				return err
			}
			out = append(out, x)
		}
		return rows.Err()
	}
	switch kind {
	case WhistleStreet, WhistleResident:
		if err := scanUnits(`SELECT code, name, kind FROM units WHERE kind = 'department' ORDER BY code`); err != nil {
			return nil, err
		}
		if place.ID != 0 {
			t, ok, err := s.townshipOfPath(ctx, place.Path)
			if err != nil {
				return nil, err
			}
			if ok {
				if err := scanUnits(`SELECT code, name, kind FROM units WHERE parent_id = ? AND kind IN ('community', 'village') ORDER BY code`, t.ID); err != nil {
					return nil, err
				}
			}
		}
	case WhistleCommunity:
		if place.ID == 0 {
			return nil, store.Invalid("请先选择吹哨的社区")
		}
		if err := scanUnits(`SELECT u.code, u.name, u.kind FROM co_building b JOIN units u ON u.id = b.unit_id
			WHERE b.community_unit_id = ? AND b.ended_at IS NULL ORDER BY u.code`, place.ID); err != nil {
			return nil, err
		}
		if err := scanPeople(`SELECT p.id, p.name, p.role, u.name FROM people p JOIN units u ON u.id = p.unit_id
			WHERE p.home_unit_id = ? AND p.role = 'party_member' ORDER BY p.id LIMIT 500`, place.ID); err != nil {
			return nil, err
		}
	case WhistleOrganisation:
		if place.ID == 0 {
			return nil, store.Invalid("请先选择吹哨的地点")
		}
		t, ok, err := s.townshipOfPath(ctx, place.Path)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, store.Invalid("组织吹哨须在乡镇（街道）内")
		}
		lo, hi := access.PathRange(place.Path)
		if err := scanUnits(`SELECT code, name, kind FROM units WHERE kind = 'grid' AND path >= ? AND path < ? ORDER BY code LIMIT 200`, lo, hi); err != nil {
			return nil, err
		}
		lo, hi = access.PathRange(t.Path)
		if err := scanPeople(`SELECT p.id, p.name, p.role, u.name FROM people p JOIN units u ON u.id = p.unit_id
			WHERE p.role IN ('grid_worker', 'cadre') AND u.path >= ? AND u.path < ? ORDER BY u.path, p.id LIMIT 500`, lo, hi); err != nil {
			return nil, err
		}
	default:
		return nil, store.Invalid("请选择吹哨类型")
	}
	return out, nil
}

func (s *Service) townshipOfPath(ctx context.Context, path string) (unitRef, bool, error) {
	var u unitRef
	err := s.db.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE kind IN ('township', 'street') AND ? LIKE path || '%'
		ORDER BY depth DESC LIMIT 1`, path).Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
	if err != nil {
		err = store.Normalize(err)
		if isNotFound(err) {
			return u, false, nil
		}
		return u, false, fmt.Errorf("township of %s: %w", path, err)
	}
	return u, true, nil
}

// CoBuilding is a co-building agreement (共建协议) between an organisation
// and a community.
type CoBuilding struct {
	ID            int64     `json:"id"`
	CommunityCode string    `json:"community_code"`
	CommunityName string    `json:"community_name"`
	UnitCode      string    `json:"unit_code"`
	UnitName      string    `json:"unit_name"`
	SignedAt      time.Time `json:"signed_at"`
	Note          string    `json:"note,omitempty"`
}

// AddCoBuilding records that the unit signed a co-building agreement with
// the community. Staff of the community (or above it) and administrators
// record it; it is audited.
func (s *Service) AddCoBuilding(ctx context.Context, actor access.Actor, communityCode, unitCode, note string) (CoBuilding, error) {
	if !actor.HasAny(access.RoleCommunity, access.RoleTownship, access.RoleAdmin) {
		return CoBuilding{}, store.Forbidden("只有社区、乡镇工作人员可以登记共建单位")
	}
	var out CoBuilding
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := unitForUser(ctx, tx, communityCode)
		if err != nil {
			return err
		}
		if c.Kind != "community" && c.Kind != "village" {
			return store.Invalid(fmt.Sprintf("%s不是社区或村", c.Name))
		}
		if !actor.SeesPath(c.Path) {
			return store.Forbidden("该社区不在您的辖区")
		}
		u, err := unitForUser(ctx, tx, unitCode)
		if err != nil {
			return err
		}
		if u.ID == c.ID {
			return store.Invalid("共建单位不能是社区本身")
		}
		now := s.now()
		err = tx.QueryRow(ctx, `INSERT INTO co_building (community_unit_id, unit_id, signed_at, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			c.ID, u.ID, store.Millis(now), strings.TrimSpace(note), nullID(actor.UserID), store.Millis(now)).Scan(&out.ID)
		if err != nil {
			err = store.Normalize(err)
			if isConflict(err) {
				return store.Conflict(fmt.Sprintf("%s已是%s的共建单位", u.Name, c.Name))
			}
			return fmt.Errorf("co-building: %w", err)
		}
		out = CoBuilding{ID: out.ID, CommunityCode: c.Code, CommunityName: c.Name, UnitCode: u.Code, UnitName: u.Name, SignedAt: now.In(shanghai), Note: strings.TrimSpace(note)}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "cobuilding.add", Entity: "unit", EntityID: c.Code,
			After: map[string]any{"unit": u.Code, "note": out.Note}})
	})
	return out, err
}

// CoBuildings lists the current co-building agreements of a community.
func (s *Service) CoBuildings(ctx context.Context, communityCode string) ([]CoBuilding, error) {
	rows, err := s.db.Query(ctx, `SELECT b.id, c.code, c.name, u.code, u.name, b.signed_at, b.note FROM co_building b
		JOIN units c ON c.id = b.community_unit_id JOIN units u ON u.id = b.unit_id
		WHERE c.code = ? AND b.ended_at IS NULL ORDER BY u.code`, strings.TrimSpace(communityCode))
	if err != nil {
		return nil, fmt.Errorf("co-building: %w", err)
	}
	defer rows.Close()
	var out []CoBuilding
	for rows.Next() {
		var b CoBuilding
		var at int64
		if err := rows.Scan(&b.ID, &b.CommunityCode, &b.CommunityName, &b.UnitCode, &b.UnitName, &at, &b.Note); err != nil {
			return nil, err
		}
		b.SignedAt = time.UnixMilli(at).In(shanghai)
		out = append(out, b)
	}
	return out, rows.Err()
}

// PlaceChoices lists the places actor may blow a whistle, raise a call or
// open an enforcement case for: the township-level units, communities and
// villages in their subtree (all townships for the county level), by code.
func (s *Service) PlaceChoices(ctx context.Context, actor access.Actor) ([]UnitChoice, error) {
	cond, args := actor.SubtreeFilter("path")
	if actor.CountyWide() {
		cond = "kind IN ('township', 'street')"
	} else {
		cond = "kind IN ('township', 'street', 'community', 'village') AND " + cond
	}
	rows, err := s.db.Query(ctx, `SELECT code, name, kind FROM units WHERE `+cond+` ORDER BY path LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("place choices: %w", err)
	}
	defer rows.Close()
	var out []UnitChoice
	for rows.Next() {
		var u UnitChoice
		if err := rows.Scan(&u.Code, &u.Name, &u.Kind); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UnitChoices lists the units of the given kinds, by code, for pickers
// (county departments, townships). Names of units are not secret.
func (s *Service) UnitChoices(ctx context.Context, kinds ...string) ([]UnitChoice, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	rows, err := s.db.Query(ctx, `SELECT code, name, kind FROM units WHERE kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`) ORDER BY code LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("unit choices: %w", err)
	}
	defer rows.Close()
	var out []UnitChoice
	for rows.Next() {
		var u UnitChoice
		if err := rows.Scan(&u.Code, &u.Name, &u.Kind); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
