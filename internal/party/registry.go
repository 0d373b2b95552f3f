package party

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// The register of party members (党员名册) an organisation department keeps:
// a member is a person of the people table (name, work unit, party
// organisation, home community, sealed phone and ID, kept as people are)
// with a party_members row for the rest (gender, birth year, the day they
// joined, home grid, skills 专业特长 and service intentions 服务意向).
//
// Who writes it (docs/AUTHORIZATION.md, "The party registry"):
//   - the organisation department (the county organisation department's
//     staff: the unit of setting party.org_department, and county-level
//     administrators), every organisation;
//   - township and community staff (and administrators), the organisations
//     of units in their subtree;
//   - a unit's own party secretary (department staff of the unit itself),
//     the organisations tied to their own unit.
//
// Reads follow the organisation network's rule: county-wide users and
// county departments read every organisation, others their own subtree.

// SettingOrgDepartment names (by unit code) the county organisation
// department (县委组织部), whose staff keep every party organisation's
// register.
const SettingOrgDepartment = "party.org_department"

// UseSealer gives the registry the personal-data key that seals members'
// phone and ID numbers (the organisation network's, org.Service.Sealer).
func (s *Service) UseSealer(p *pii.Sealer) { s.sealer = p }

// OrgDepartment reports whether the actor keeps the county's party
// register: county administrators and the staff of the organisation
// department the setting party.org_department names.
func (s *Service) OrgDepartment(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.System || actor.CountyAdmin() {
		return true, nil
	}
	if actor.Anonymous() || actor.UnitCode == "" {
		return false, nil
	}
	code, err := settings.String(ctx, s.db, SettingOrgDepartment, "")
	if err != nil {
		return false, fmt.Errorf("organisation department: %w", err)
	}
	return code != "" && code == actor.UnitCode, nil
}

// partyOrg is a party organisation as this package reads it.
type partyOrg struct {
	ID       int64
	Code     string
	Name     string
	Kind     string
	Path     string
	UnitID   int64
	UnitCode string
	UnitName string
	UnitPath string
}

func partyOrgByCode(ctx context.Context, q querier, code string) (partyOrg, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return partyOrg{}, store.Invalid("请选择党组织")
	}
	var o partyOrg
	err := q.QueryRow(ctx, `SELECT o.id, o.code, o.name, o.kind, o.path, u.id, u.code, u.name, u.path FROM party_orgs o
		JOIN units u ON u.id = o.unit_id WHERE o.code = ?`, code).
		Scan(&o.ID, &o.Code, &o.Name, &o.Kind, &o.Path, &o.UnitID, &o.UnitCode, &o.UnitName, &o.UnitPath)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrNotFound) {
			return o, store.Invalidf("找不到党组织代码 %s", code)
		}
		return o, fmt.Errorf("party organisation %s: %w", code, err)
	}
	return o, nil
}

// readsAll reports whether the actor reads every party organisation: the
// organisation network's rule (county-wide users and county departments).
func readsAll(a access.Actor) bool {
	return a.System || a.CountyWide() || a.UnitKind == "department"
}

func canRead(a access.Actor, unitPath string) bool {
	return !a.Anonymous() && (readsAll(a) || a.SeesPath(unitPath))
}

// mayKeep reports whether the actor may write the register of a party
// organisation tied to the unit at unitPath (unitID).
func (s *Service) mayKeep(ctx context.Context, actor access.Actor, unitID int64, unitPath string) (bool, error) {
	if ok, err := s.OrgDepartment(ctx, actor); ok || err != nil {
		return ok, err
	}
	if actor.HasAny(access.RoleAdmin, access.RoleTownship, access.RoleCommunity) && actor.SeesPath(unitPath) {
		return true, nil
	}
	return actor.Has(access.RoleDepartment) && actor.UnitID == unitID, nil
}

// PartyMember is one line of the register. Phone and ID numbers are only
// handed out masked.
type PartyMember struct {
	PersonID    int64  `json:"person_id"`
	Name        string `json:"name"`
	Gender      string `json:"gender,omitempty"`
	BirthYear   int    `json:"birth_year,omitempty"`
	JoinedOn    string `json:"joined_on,omitempty"`
	OrgCode     string `json:"org_code,omitempty"`
	OrgName     string `json:"org_name,omitempty"`
	UnitCode    string `json:"unit_code"`
	UnitName    string `json:"unit_name"`
	HomeCode    string `json:"home_code,omitempty"`
	HomeName    string `json:"home_name,omitempty"`
	GridCode    string `json:"grid_code,omitempty"`
	GridName    string `json:"grid_name,omitempty"`
	Skills      string `json:"skills,omitempty"`
	Intentions  string `json:"intentions,omitempty"`
	PhoneMasked string `json:"phone,omitempty"`
	IDMasked    string `json:"id_no,omitempty"`
	Demo        bool   `json:"demo,omitempty"`
}

// MemberInput is a new party member, by codes as a clerk types them.
type MemberInput struct {
	Name       string `json:"name"`
	Gender     string `json:"gender"`
	BirthYear  int    `json:"birth_year"`
	JoinedOn   string `json:"joined_on"`
	OrgCode    string `json:"org"`
	UnitCode   string `json:"unit"`
	HomeCode   string `json:"home"`
	GridCode   string `json:"grid"`
	Skills     string `json:"skills"`
	Intentions string `json:"intentions"`
	Phone      string `json:"phone"`
	IDNo       string `json:"id_no"`
	Demo       bool   `json:"-"`
}

// member is a checked MemberInput.
type member struct {
	in                 MemberInput
	org                partyOrg
	unitID             int64
	homeID, gridID     int64
	phoneEnc, phoneH   string
	idEnc, idH         string
	homeName, gridName string
	unitName           string
}

// checkMember checks a new member against the database (inside tx) and the
// actor's rights, and seals the phone and ID numbers.
func (s *Service) checkMember(ctx context.Context, tx *store.Tx, actor access.Actor, in MemberInput, now time.Time) (member, error) {
	m := member{in: in}
	in.Name = strings.TrimSpace(in.Name)
	m.in.Name = in.Name
	if in.Name == "" {
		return m, store.Invalid("请填写党员姓名")
	}
	if utf8.RuneCountInString(in.Name) > 40 {
		return m, store.Invalid("姓名过长（最多40字）")
	}
	switch m.in.Gender = strings.TrimSpace(in.Gender); m.in.Gender {
	case "", "男", "女":
	default:
		return m, store.Invalid("性别应为“男”或“女”")
	}
	if in.BirthYear != 0 && (in.BirthYear < 1900 || in.BirthYear > now.Year()-16) {
		return m, store.Invalidf("出生年份应在1900至%d之间", now.Year()-16)
	}
	if m.in.JoinedOn = strings.TrimSpace(in.JoinedOn); m.in.JoinedOn != "" {
		d, err := time.ParseInLocation("2006-01-02", m.in.JoinedOn, shanghai)
		if err != nil {
			return m, store.Invalid("入党日期的格式应为 2001-07-01")
		}
		if d.After(now) {
			return m, store.Invalid("入党日期不能晚于今天")
		}
		if in.BirthYear != 0 && d.Year() < in.BirthYear+18 {
			return m, store.Invalid("入党日期应在年满18岁以后")
		}
	}
	m.in.Skills, m.in.Intentions = cleanList(in.Skills), cleanList(in.Intentions)
	if utf8.RuneCountInString(m.in.Skills) > 200 || utf8.RuneCountInString(m.in.Intentions) > 200 {
		return m, store.Invalid("专业特长、服务意向各不超过200字")
	}
	var err error
	if m.org, err = partyOrgByCode(ctx, tx, in.OrgCode); err != nil {
		return m, err
	}
	ok, err := s.mayKeep(ctx, actor, m.org.UnitID, m.org.UnitPath)
	if err != nil {
		return m, err
	}
	if !ok {
		return m, store.Forbiddenf("无权登记%s的党员", m.org.Name)
	}
	m.unitID, m.unitName = m.org.UnitID, m.org.UnitName
	if strings.TrimSpace(in.UnitCode) != "" {
		u, err := unitByCode(ctx, tx, in.UnitCode)
		if err != nil {
			return m, err
		}
		m.unitID, m.unitName = u.ID, u.Name
	}
	if strings.TrimSpace(in.HomeCode) != "" {
		h, err := unitByCode(ctx, tx, in.HomeCode)
		if err != nil {
			return m, err
		}
		if h.Kind != "community" && h.Kind != "village" {
			return m, store.Invalidf("居住社区%s不是社区或村", h.Name)
		}
		m.homeID, m.homeName = h.ID, h.Name
		if strings.TrimSpace(in.GridCode) != "" {
			g, err := unitByCode(ctx, tx, in.GridCode)
			if err != nil {
				return m, err
			}
			if g.Kind != "grid" || !strings.HasPrefix(g.Path, h.Path) {
				return m, store.Invalidf("%s不是%s的网格", g.Name, h.Name)
			}
			m.gridID, m.gridName = g.ID, g.Name
		}
	} else if strings.TrimSpace(in.GridCode) != "" {
		return m, store.Invalid("填写网格时请同时填写居住社区")
	}
	phone := pii.NormalizePhone(in.Phone)
	if phone != "" && !pii.ValidPhone(phone) {
		return m, store.Invalid("联系电话格式不正确（手机号11位，或带区号的固定电话）")
	}
	idNo := pii.NormalizeID(in.IDNo)
	if idNo != "" && !pii.ValidID(idNo) {
		return m, store.Invalid("身份证号码不正确（18位，末位校验码不符）")
	}
	m.in.Phone, m.in.IDNo = phone, idNo
	if phone != "" || idNo != "" {
		if s.sealer == nil {
			return m, errors.New("party member: no personal-data key configured")
		}
		if m.phoneEnc, err = s.sealer.Seal(phone); err != nil {
			return m, err
		}
		if m.idEnc, err = s.sealer.Seal(idNo); err != nil {
			return m, err
		}
		m.phoneH, m.idH = s.sealer.Hash(phone), s.sealer.Hash(idNo)
	}
	if idNo != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM people WHERE id_no_hash = ? AND role = 'party_member'`, m.idH).Scan(&n); err != nil {
			return m, fmt.Errorf("check ID number: %w", err)
		}
		if n > 0 {
			return m, store.Conflict("该身份证号码的党员已在名册中")
		}
	}
	return m, nil
}

// cleanList normalises a list typed with 、，, or spaces to "a、b".
func cleanList(s string) string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == ' ' || r == '\t' || r == '\n'
	})
	return strings.Join(f, "、")
}

// insertMember stores a checked member (no audit).
func insertMember(ctx context.Context, tx *store.Tx, m member, now time.Time) (int64, error) {
	ms := store.Millis(now)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, party_org_id, home_unit_id, phone_enc, phone_hash, id_no_enc, id_no_hash, demo, created_at, updated_at)
		VALUES (?, ?, 'party_member', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.in.Name, m.unitID, m.org.ID, store.NullID(m.homeID), m.phoneEnc, m.phoneH, m.idEnc, m.idH, store.BoolInt(m.in.Demo), ms, ms).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert member %s: %w", m.in.Name, store.Normalize(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO party_members (person_id, gender, birth_year, joined_on, home_grid_id, skills, intentions, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, m.in.Gender, m.in.BirthYear, m.in.JoinedOn, store.NullID(m.gridID), m.in.Skills, m.in.Intentions, ms, ms); err != nil {
		return 0, fmt.Errorf("insert member %s: %w", m.in.Name, store.Normalize(err))
	}
	return id, nil
}

// AddMember records a party member in a party organisation's register.
func (s *Service) AddMember(ctx context.Context, actor access.Actor, in MemberInput) (PartyMember, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		m, err := s.checkMember(ctx, tx, actor, in, now)
		if err != nil {
			return err
		}
		if id, err = insertMember(ctx, tx, m, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.member.add", Entity: "person", EntityID: fmt.Sprint(id),
			After: map[string]any{"name": m.in.Name, "org": m.org.Code, "phone": pii.MaskPhone(m.in.Phone)}})
	})
	if err != nil {
		return PartyMember{}, fmt.Errorf("add party member: %w", err)
	}
	list, err := s.Members(ctx, access.System, MemberFilter{PersonID: id})
	if err != nil || len(list) != 1 {
		return PartyMember{}, fmt.Errorf("read back party member %d: %w", id, err)
	}
	return list[0], nil
}

// MemberFilter narrows the register.
type MemberFilter struct {
	// OrgCode is a party organisation: its members and those of every
	// organisation under it.
	OrgCode string
	// HomeCode is the community where members live (dual registration).
	HomeCode string
	// Name matches part of a name.
	Name string
	// PersonID is one member.
	PersonID int64
	// Skill matches part of the skills (专业特长).
	Skill string
	// Registered is "yes" (reported where they live, accepted), "no" or
	// "" (either).
	Registered string
	// Limit bounds the rows (0: 5,000).
	Limit int
}

// MaxMembers bounds a register's page or export.
const MaxMembers = 50000

// Members lists the register, filtered, in organisation and name order.
func (s *Service) Members(ctx context.Context, actor access.Actor, f MemberFilter) ([]PartyMember, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	where, args := []string{"p.role = 'party_member'"}, []any{}
	if strings.TrimSpace(f.OrgCode) != "" {
		o, err := partyOrgByCode(ctx, s.db, f.OrgCode)
		if err != nil {
			return nil, err
		}
		if !canRead(actor, o.UnitPath) {
			return nil, store.Forbiddenf("无权查看%s的党员", o.Name)
		}
		where, args = append(where, "o.path LIKE ?"), append(args, o.Path+"%")
	} else if !readsAll(actor) {
		where, args = append(where, "(u.path LIKE ? OR h.path LIKE ?)"), append(args, actor.UnitPath+"%", actor.UnitPath+"%")
	}
	if strings.TrimSpace(f.HomeCode) != "" {
		where, args = append(where, "h.code = ?"), append(args, strings.TrimSpace(f.HomeCode))
	}
	if n := strings.TrimSpace(f.Name); n != "" {
		where, args = append(where, "p.name LIKE ?"), append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(n)+"%")
	}
	if f.PersonID != 0 {
		where, args = append(where, "p.id = ?"), append(args, f.PersonID)
	}
	if k := strings.TrimSpace(f.Skill); k != "" {
		where, args = append(where, "m.skills LIKE ?"), append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(k)+"%")
	}
	const registered = `EXISTS (SELECT 1 FROM member_registrations r WHERE r.person_id = p.id AND r.status = 'accepted' AND r.ended_at IS NULL)`
	switch strings.TrimSpace(f.Registered) {
	case "":
	case "yes":
		where = append(where, registered)
	case "no":
		where = append(where, "NOT "+registered)
	default:
		return nil, store.Invalid("是否报到应为 yes 或 no")
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxMembers {
		limit = 5000
	}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.name, COALESCE(m.gender, ''), COALESCE(m.birth_year, 0), COALESCE(m.joined_on, ''),
		COALESCE(o.code, ''), COALESCE(o.name, ''), u.code, u.name, COALESCE(h.code, ''), COALESCE(h.name, ''),
		COALESCE(g.code, ''), COALESCE(g.name, ''), COALESCE(m.skills, ''), COALESCE(m.intentions, ''), p.phone_enc, p.id_no_enc, p.demo
		FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN party_orgs o ON o.id = p.party_org_id
		LEFT JOIN units h ON h.id = p.home_unit_id LEFT JOIN party_members m ON m.person_id = p.id
		LEFT JOIN units g ON g.id = m.home_grid_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY o.code, p.id LIMIT `+strconv.Itoa(limit), args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (PartyMember, error) {
		var m PartyMember
		var phoneEnc, idEnc string
		var demo int
		err := sc.Scan(&m.PersonID, &m.Name, &m.Gender, &m.BirthYear, &m.JoinedOn, &m.OrgCode, &m.OrgName, &m.UnitCode, &m.UnitName,
			&m.HomeCode, &m.HomeName, &m.GridCode, &m.GridName, &m.Skills, &m.Intentions, &phoneEnc, &idEnc, &demo)
		m.Demo = demo != 0
		m.PhoneMasked, m.IDMasked = s.masked(phoneEnc, idEnc)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("party members: %w", err)
	}
	return out, nil
}

// masked opens sealed values only to mask them.
func (s *Service) masked(phoneEnc, idEnc string) (phone, id string) {
	open := func(enc string, mask func(string) string) string {
		if enc == "" {
			return ""
		}
		if s.sealer == nil {
			return "******"
		}
		plain, err := s.sealer.Open(enc)
		if err != nil {
			return "（无法解密）"
		}
		if plain == "" {
			return ""
		}
		return mask(plain)
	}
	return open(phoneEnc, pii.MaskPhone), open(idEnc, pii.MaskID)
}

// LevelCount is one level of the five-level tree (county committee →
// working/township committee → community committee/village branch → grid
// branch → party group) under an organisation: how many organisations of
// the kind and how many members they hold directly.
type LevelCount struct {
	Kind    string `json:"kind"`
	Orgs    int    `json:"orgs"`
	Members int    `json:"members"`
}

// OrgCount is one party organisation with its members: directly and in its
// whole subtree.
type OrgCount struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Direct  int    `json:"direct"`
	Subtree int    `json:"subtree"`
}

// MemberCounts returns, for a party organisation, its own count, the
// counts of its direct children (subtree totals) and the count per level
// of the tree under it.
func (s *Service) MemberCounts(ctx context.Context, actor access.Actor, orgCode string) (OrgCount, []OrgCount, []LevelCount, error) {
	o, err := partyOrgByCode(ctx, s.db, orgCode)
	if err != nil {
		return OrgCount{}, nil, nil, err
	}
	if !canRead(actor, o.UnitPath) {
		return OrgCount{}, nil, nil, store.Forbiddenf("无权查看%s的党员", o.Name)
	}
	// Members per organisation of the subtree, then summed up the paths.
	rows, err := s.db.Query(ctx, `SELECT o.id, o.code, o.name, o.kind, o.path, o.depth, COALESCE(o.parent_id, 0),
		(SELECT COUNT(*) FROM people p WHERE p.party_org_id = o.id AND p.role = 'party_member')
		FROM party_orgs o WHERE o.path LIKE ? ORDER BY o.depth, o.code`, o.Path+"%")
	type row struct {
		id, parent int64
		c          OrgCount
		path       string
		depth      int
	}
	all, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
		var r row
		err := sc.Scan(&r.id, &r.c.Code, &r.c.Name, &r.c.Kind, &r.path, &r.depth, &r.parent, &r.c.Direct)
		return r, err
	})
	if err != nil {
		return OrgCount{}, nil, nil, fmt.Errorf("member counts of %s: %w", o.Code, err)
	}
	subtree := map[int64]int{}
	levels := map[string]*LevelCount{}
	var order []string
	for _, r := range all {
		for _, id := range pathIDs(r.path) {
			subtree[id] += r.c.Direct
		}
		l, ok := levels[r.c.Kind]
		if !ok {
			l = &LevelCount{Kind: r.c.Kind}
			levels[r.c.Kind] = l
			order = append(order, r.c.Kind)
		}
		l.Orgs++
		l.Members += r.c.Direct
	}
	var self OrgCount
	var children []OrgCount
	for _, r := range all {
		r.c.Subtree = subtree[r.id]
		switch {
		case r.id == o.ID:
			self = r.c
		case r.parent == o.ID:
			children = append(children, r.c)
		}
	}
	out := make([]LevelCount, 0, len(order))
	for _, k := range order {
		out = append(out, *levels[k])
	}
	return self, children, out, nil
}

// pathIDs splits "/1/5/9/" into its ids.
func pathIDs(p string) []int64 {
	var out []int64
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// MayKeepOrg reports whether the actor may write the register of the party
// organisation with code (add and import members, set up organisations
// under it).
func (s *Service) MayKeepOrg(ctx context.Context, actor access.Actor, code string) (bool, error) {
	o, err := partyOrgByCode(ctx, s.db, code)
	if err != nil {
		return false, err
	}
	return s.mayKeep(ctx, actor, o.UnitID, o.UnitPath)
}
