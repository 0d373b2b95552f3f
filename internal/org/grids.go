package org

// The grid as the front line: one read of everything a grid page shows (its
// workers, its buildings and lanes with their leaders, its party branch and
// groups, households and residents, contact groups), and the contact groups
// (业主群、党员群) recorded by hand: the system never connects to chat apps.

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

// Contact group kinds.
const (
	GroupOwners    = "owners"    // 业主群
	GroupParty     = "party"     // 党员群
	GroupResidents = "residents" // 居民群、楼栋群
	GroupOther     = "other"
)

// ContactGroupKinds lists the kinds in display order.
func ContactGroupKinds() []string {
	return []string{GroupOwners, GroupParty, GroupResidents, GroupOther}
}

// ContactGroup is a chat group of a building, a lane or a grid, as recorded.
type ContactGroup struct {
	ID        int64
	UnitID    int64
	UnitCode  string
	UnitName  string
	Kind      string
	Name      string
	Platform  string // free text: 微信群, 钉钉群 ...
	RunBy     string
	Members   int
	UpdatedAt time.Time
	UpdatedBy string
	Demo      bool
}

// ContactGroupInput is a new or changed contact group.
type ContactGroupInput struct {
	UnitID   int64
	Kind     string
	Name     string
	Platform string
	RunBy    string
	Members  int
	Demo     bool
}

// GridBuilding is a building or lane of a grid with its leaders, its party
// group, households and contact groups.
type GridBuilding struct {
	Unit       Unit
	Leaders    []Person
	PartyGroup *PartyOrg
	Households int
	Residents  int
	Groups     []ContactGroup
}

// GridView is everything a grid page shows.
type GridView struct {
	Grid      Unit
	Workers   []Person
	Buildings []GridBuilding
	// Branches are the party organisations tied to the grid itself (its
	// grid party branch); Groups the party groups of its buildings.
	Branches []PartyOrg
	Groups   []PartyOrg
	// Members are the party members of each party organisation above, by
	// its id.
	Members map[int64][]Person
	// Households and Residents total the grid's buildings.
	Households, Residents int
	// GridGroups are the contact groups recorded on the grid itself;
	// Groups of each building hold theirs.
	GridGroups []ContactGroup
	// CanEditGroups is whether the actor may record contact groups here.
	CanEditGroups bool
}

// Leaders counts the building and street leaders.
func (v GridView) Leaders() int {
	n := 0
	for _, b := range v.Buildings {
		n += len(b.Leaders)
	}
	return n
}

// ContactGroups counts every contact group of the grid and its buildings.
func (v GridView) ContactGroups() int {
	n := len(v.GridGroups)
	for _, b := range v.Buildings {
		n += len(b.Groups)
	}
	return n
}

// PartyMembers counts the party members of the grid's party organisations.
func (v GridView) PartyMembers() int {
	n := 0
	for _, ms := range v.Members {
		n += len(ms)
	}
	return n
}

// CanEditFrontLine reports whether the actor may record the front line's
// details (contact groups, households) at a unit: administrators, township,
// community and grid staff whose subtree holds it.
func CanEditFrontLine(a access.Actor, u Unit) bool {
	return a.HasAny(access.RoleAdmin, access.RoleTownship, access.RoleCommunity, access.RoleGrid) && a.SeesPath(u.Path)
}

// Grid returns the grid page's view of the grid with code.
func (s *Service) Grid(ctx context.Context, actor access.Actor, code string) (GridView, error) {
	g, err := s.UnitByCode(ctx, actor, code)
	if err != nil {
		return GridView{}, err
	}
	if g.Kind != KindGrid {
		return GridView{}, store.NotFoundf("%s不是网格", g.Name)
	}
	v := GridView{Grid: g, Members: map[int64][]Person{}, CanEditGroups: CanEditFrontLine(actor, g)}
	if v.Workers, err = s.People(ctx, actor, g.ID, RoleGridWorker); err != nil {
		return GridView{}, err
	}
	buildings, err := s.Children(ctx, actor, g.ID)
	if err != nil {
		return GridView{}, err
	}
	byUnit := map[int64]*GridBuilding{}
	for _, b := range buildings {
		if b.Kind == KindBuilding {
			v.Buildings = append(v.Buildings, GridBuilding{Unit: b})
		}
	}
	for i := range v.Buildings {
		byUnit[v.Buildings[i].Unit.ID] = &v.Buildings[i]
	}
	// The leaders of every building, in one query.
	leaders, err := s.scanPeople(s.db.Query(ctx, `SELECT `+personCols+personFrom+`
		WHERE u.parent_id = ? AND p.role IN (?, ?) ORDER BY p.id`, g.ID, RoleBuildingLeader, RoleStreetLeader))
	if err != nil {
		return GridView{}, fmt.Errorf("grid %s: leaders: %w", code, err)
	}
	for _, p := range leaders {
		if b := byUnit[p.UnitID]; b != nil {
			b.Leaders = append(b.Leaders, p)
		}
	}
	if v.Branches, err = s.PartyOrgsOfUnit(ctx, actor, g.ID); err != nil {
		return GridView{}, err
	}
	if v.Groups, err = s.PartyOrgsUnder(ctx, actor, g.ID); err != nil {
		return GridView{}, err
	}
	for i, o := range v.Groups {
		if b := byUnit[o.UnitID]; b != nil && b.PartyGroup == nil {
			b.PartyGroup = &v.Groups[i]
		}
	}
	for _, o := range append(append([]PartyOrg{}, v.Branches...), v.Groups...) {
		ms, err := s.PartyOrgMembers(ctx, actor, o.ID)
		if err != nil {
			return GridView{}, err
		}
		v.Members[o.ID] = ms
	}
	// Households and residents per building (the count rule: residents.go).
	rows, err := s.db.Query(ctx, `SELECT h.unit_id, COUNT(*), COALESCE(SUM(`+residentsCount+`), 0)
		FROM households h JOIN units u ON u.id = h.unit_id WHERE u.parent_id = ? GROUP BY h.unit_id`, g.ID)
	if err != nil {
		return GridView{}, fmt.Errorf("grid %s: households: %w", code, err)
	}
	for rows.Next() {
		var id int64
		var hh, res int
		if err := rows.Scan(&id, &hh, &res); err != nil {
			rows.Close()
			return GridView{}, fmt.Errorf("grid %s: households: %w", code, err)
		}
		v.Households += hh
		v.Residents += res
		if b := byUnit[id]; b != nil {
			b.Households, b.Residents = hh, res
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return GridView{}, fmt.Errorf("grid %s: households: %w", code, err)
	}
	groups, err := s.contactGroups(ctx, `u.id = ? OR u.parent_id = ?`, g.ID, g.ID)
	if err != nil {
		return GridView{}, fmt.Errorf("grid %s: %w", code, err)
	}
	for _, cg := range groups {
		if b := byUnit[cg.UnitID]; b != nil {
			b.Groups = append(b.Groups, cg)
		} else {
			v.GridGroups = append(v.GridGroups, cg)
		}
	}
	return v, nil
}

const contactGroupCols = `c.id, c.unit_id, u.code, u.name, c.kind, c.name, c.platform, c.run_by, c.members, c.updated_at, c.updated_by, c.demo`

func (s *Service) contactGroups(ctx context.Context, where string, args ...any) ([]ContactGroup, error) {
	rows, err := s.db.Query(ctx, `SELECT `+contactGroupCols+` FROM contact_groups c JOIN units u ON u.id = c.unit_id
		WHERE `+where+` ORDER BY u.code, c.kind, c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("contact groups: %w", err)
	}
	defer rows.Close()
	var out []ContactGroup
	for rows.Next() {
		cg, err := scanContactGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("contact groups: %w", err)
		}
		out = append(out, cg)
	}
	return out, rows.Err()
}

func scanContactGroup(sc store.Scanner) (ContactGroup, error) {
	var cg ContactGroup
	var updated int64
	var demo int
	err := sc.Scan(&cg.ID, &cg.UnitID, &cg.UnitCode, &cg.UnitName, &cg.Kind, &cg.Name, &cg.Platform, &cg.RunBy, &cg.Members,
		&updated, &cg.UpdatedBy, &demo)
	if err != nil {
		return ContactGroup{}, store.Normalize(err)
	}
	cg.UpdatedAt, cg.Demo = store.Time(updated), demo != 0
	return cg, nil
}

// ContactGroupByID returns a contact group the actor may read.
func (s *Service) ContactGroupByID(ctx context.Context, actor access.Actor, id int64) (ContactGroup, error) {
	cg, err := scanContactGroup(s.db.QueryRow(ctx, `SELECT `+contactGroupCols+` FROM contact_groups c JOIN units u ON u.id = c.unit_id WHERE c.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return ContactGroup{}, store.NotFound("找不到该联络群")
	}
	if err != nil {
		return ContactGroup{}, fmt.Errorf("contact group %d: %w", id, err)
	}
	if _, err := s.readableUnit(ctx, actor, cg.UnitID); err != nil {
		return ContactGroup{}, err
	}
	return cg, nil
}

// checkContactGroup validates and trims a contact group's fields and returns
// the unit it belongs to, which the actor must be allowed to record at.
func (s *Service) checkContactGroup(ctx context.Context, actor access.Actor, in *ContactGroupInput) (Unit, error) {
	in.Name, in.Platform, in.RunBy = strings.TrimSpace(in.Name), strings.TrimSpace(in.Platform), strings.TrimSpace(in.RunBy)
	valid := false
	for _, k := range ContactGroupKinds() {
		valid = valid || k == in.Kind
	}
	if !valid {
		return Unit{}, store.Invalid("请选择联络群类型：业主群、党员群、居民群或其他")
	}
	if in.Name == "" {
		return Unit{}, store.Invalid("请填写群名称")
	}
	if utf8.RuneCountInString(in.Name) > 60 || utf8.RuneCountInString(in.Platform) > 30 || utf8.RuneCountInString(in.RunBy) > 40 {
		return Unit{}, store.Invalid("群名称最多60字，平台最多30字，群主最多40字")
	}
	if in.Members < 0 || in.Members > 100000 {
		return Unit{}, store.Invalid("群成员人数应在0到100000之间")
	}
	u, err := s.UnitByID(ctx, in.UnitID)
	if err != nil {
		return Unit{}, err
	}
	if u.Kind != KindGrid && u.Kind != KindBuilding {
		return Unit{}, store.Invalidf("%s不是网格、楼栋或街巷，不能登记联络群", u.Name)
	}
	if !CanEditFrontLine(actor, u) {
		return Unit{}, store.Forbiddenf("无权在%s登记联络群", u.Name)
	}
	return u, nil
}

// AddContactGroup records a contact group at a grid, building or lane of
// the actor's subtree (administrators, township, community and grid staff).
func (s *Service) AddContactGroup(ctx context.Context, actor access.Actor, in ContactGroupInput) (ContactGroup, error) {
	u, err := s.checkContactGroup(ctx, actor, &in)
	if err != nil {
		return ContactGroup{}, err
	}
	now := s.nowMillis()
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO contact_groups (unit_id, kind, name, platform, run_by, members, demo, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, u.ID, in.Kind, in.Name, in.Platform, in.RunBy, in.Members, store.BoolInt(in.Demo),
			now, now, actor.Name).Scan(&id)
		if err != nil {
			return store.Normalize(err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "contact_group.create", Entity: "contact_group", EntityID: fmt.Sprint(id),
			After: map[string]any{"unit": u.Code, "kind": in.Kind, "name": in.Name, "platform": in.Platform, "run_by": in.RunBy, "members": in.Members}})
	})
	if err != nil {
		return ContactGroup{}, fmt.Errorf("add contact group at %s: %w", u.Code, err)
	}
	return ContactGroup{ID: id, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, Kind: in.Kind, Name: in.Name, Platform: in.Platform,
		RunBy: in.RunBy, Members: in.Members, UpdatedAt: store.Time(now), UpdatedBy: actor.Name, Demo: in.Demo}, nil
}

// UpdateContactGroup changes a contact group (its unit stays); the same
// people who may record one may change it.
func (s *Service) UpdateContactGroup(ctx context.Context, actor access.Actor, id int64, in ContactGroupInput) error {
	old, err := s.ContactGroupByID(ctx, actor, id)
	if err != nil {
		return err
	}
	in.UnitID = old.UnitID
	if _, err := s.checkContactGroup(ctx, actor, &in); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE contact_groups SET kind = ?, name = ?, platform = ?, run_by = ?, members = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			in.Kind, in.Name, in.Platform, in.RunBy, in.Members, s.nowMillis(), actor.Name, id)
		if err != nil {
			return fmt.Errorf("update contact group %d: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "contact_group.update", Entity: "contact_group", EntityID: fmt.Sprint(id),
			Before: map[string]any{"kind": old.Kind, "name": old.Name, "platform": old.Platform, "run_by": old.RunBy, "members": old.Members},
			After:  map[string]any{"kind": in.Kind, "name": in.Name, "platform": in.Platform, "run_by": in.RunBy, "members": in.Members}})
	})
}

// GridCentreWGS84 returns a unit's centre point converted to WGS-84 (the
// datum of boundaries and GPS), or false when it has none.
func GridCentreWGS84(u Unit) (lng, lat float64, ok bool) {
	if u.Lng == nil || u.Lat == nil {
		return 0, 0, false
	}
	lng, lat = GCJ02ToWGS84(*u.Lng, *u.Lat)
	return lng, lat, true
}
