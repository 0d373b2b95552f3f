package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// Roles people hold at units.
const (
	RoleGridWorker     = "grid_worker"     // 网格员
	RoleBuildingLeader = "building_leader" // 楼栋长
	RoleStreetLeader   = "street_leader"   // 街巷长
	RolePartyMember    = "party_member"    // 党员
	RoleCadre          = "cadre"           // 干部
	RoleResident       = "resident"        // 群众
)

// PersonRoles lists the roles in display order.
func PersonRoles() []string {
	return []string{RoleGridWorker, RoleBuildingLeader, RoleStreetLeader, RolePartyMember, RoleCadre, RoleResident}
}

// Person is someone holding a role at a unit. Phone and ID numbers are only
// ever handed out masked; RevealPhone opens one and records that it did.
type Person struct {
	ID         int64
	Name       string
	UnitID     int64
	UnitCode   string
	UnitName   string
	Role       string
	PartyOrgID int64 // 0 when none
	// HomeUnitID is the community where a serving party member lives and is
	// registered (dual registration); 0 when none.
	HomeUnitID  int64
	PhoneMasked string
	IDMasked    string
	Demo        bool
}

// PersonInput is a new person.
type PersonInput struct {
	Name       string
	UnitID     int64
	Role       string
	PartyOrgID int64
	HomeUnitID int64
	Phone      string
	IDNo       string
	Demo       bool
}

// AddPerson records a person in a role at a unit of the actor's subtree
// (administrators, township and community staff), sealing their phone and ID
// numbers.
func (s *Service) AddPerson(ctx context.Context, actor access.Actor, in PersonInput) (Person, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return Person{}, store.Invalid("姓名不能为空")
	}
	if utf8.RuneCountInString(in.Name) > 40 {
		return Person{}, store.Invalid("姓名过长（最多40字）")
	}
	validRole := false
	for _, r := range PersonRoles() {
		validRole = validRole || r == in.Role
	}
	if !validRole {
		return Person{}, store.Invalidf("人员角色应为：%s", strings.Join(PersonRoles(), "、"))
	}
	in.Phone = pii.NormalizePhone(in.Phone)
	if in.Phone != "" && !pii.ValidPhone(in.Phone) {
		return Person{}, store.Invalid("联系电话格式不正确（手机号11位，或带区号的固定电话）")
	}
	in.IDNo = pii.NormalizeID(in.IDNo)
	if in.IDNo != "" && !pii.ValidID(in.IDNo) {
		return Person{}, store.Invalid("身份证号码不正确（18位，末位校验码不符）")
	}
	if (in.Phone != "" || in.IDNo != "") && s.sealer == nil {
		return Person{}, errors.New("add person: no personal-data key configured")
	}
	u, err := s.UnitByID(ctx, in.UnitID)
	if err != nil {
		return Person{}, err
	}
	if !actor.HasAny(access.RoleAdmin, access.RoleTownship, access.RoleCommunity) || !actor.SeesPath(u.Path) {
		return Person{}, store.Forbiddenf("无权在%s登记人员", u.Name)
	}
	if in.HomeUnitID != 0 {
		home, err := s.UnitByID(ctx, in.HomeUnitID)
		if err != nil {
			return Person{}, err
		}
		if home.Kind != KindCommunity && home.Kind != KindVillage && home.Kind != KindGrid {
			return Person{}, store.Invalid("报到社区应为社区、村或网格")
		}
	}
	var p Person
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		p, err = s.insertPerson(ctx, tx, in)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "person.create", Entity: "person", EntityID: fmt.Sprint(p.ID),
			After: map[string]any{"name": p.Name, "unit": u.Code, "role": p.Role, "phone": p.PhoneMasked, "id_no": p.IDMasked,
				"party_org_id": p.PartyOrgID, "home_unit_id": p.HomeUnitID}})
	})
	if err != nil {
		return Person{}, fmt.Errorf("add person: %w", err)
	}
	p.UnitCode, p.UnitName = u.Code, u.Name
	return p, nil
}

// insertPerson seals and stores a person (no checks, no audit).
func (s *Service) insertPerson(ctx context.Context, tx *store.Tx, in PersonInput) (Person, error) {
	var phoneEnc, idEnc string
	if s.sealer != nil {
		var err error
		if phoneEnc, err = s.sealer.Seal(in.Phone); err != nil {
			return Person{}, err
		}
		if idEnc, err = s.sealer.Seal(in.IDNo); err != nil {
			return Person{}, err
		}
	}
	var phoneHash, idHash string
	if s.sealer != nil {
		phoneHash, idHash = s.sealer.Hash(in.Phone), s.sealer.Hash(in.IDNo)
	}
	now := s.nowMillis()
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, party_org_id, home_unit_id, phone_enc, phone_hash, id_no_enc, id_no_hash, demo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		in.Name, in.UnitID, in.Role, store.NullID(in.PartyOrgID), store.NullID(in.HomeUnitID), phoneEnc, phoneHash, idEnc, idHash, store.BoolInt(in.Demo), now, now).Scan(&id)
	if err != nil {
		return Person{}, err
	}
	return Person{ID: id, Name: in.Name, UnitID: in.UnitID, Role: in.Role, PartyOrgID: in.PartyOrgID, HomeUnitID: in.HomeUnitID,
		PhoneMasked: pii.MaskPhone(in.Phone), IDMasked: maskIDOrEmpty(in.IDNo), Demo: in.Demo}, nil
}

func maskIDOrEmpty(id string) string {
	if id == "" {
		return ""
	}
	return pii.MaskID(id)
}

const personCols = `p.id, p.name, p.unit_id, u.code, u.name, p.role, COALESCE(p.party_org_id, 0), COALESCE(p.home_unit_id, 0),
	p.phone_enc, p.id_no_enc, p.demo`

const personFrom = ` FROM people p JOIN units u ON u.id = p.unit_id`

func (s *Service) scanPeople(rows *sql.Rows, err error) ([]Person, error) {
	return store.Collect(rows, err, s.scanPerson)
}

// scanPerson reads one person with masked phone and ID numbers.
func (s *Service) scanPerson(sc store.Scanner) (Person, error) {
	var p Person
	var phoneEnc, idEnc string
	var demo int
	if err := sc.Scan(&p.ID, &p.Name, &p.UnitID, &p.UnitCode, &p.UnitName, &p.Role, &p.PartyOrgID, &p.HomeUnitID, &phoneEnc, &idEnc, &demo); err != nil {
		return p, err
	}
	p.Demo = demo != 0
	p.PhoneMasked, p.IDMasked = s.masked(phoneEnc, idEnc)
	return p, nil
}

// masked opens sealed values only to mask them; a value that cannot be
// opened shows as such rather than failing the whole list.
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
		return mask(plain)
	}
	return open(phoneEnc, pii.MaskPhone), open(idEnc, pii.MaskID)
}

// People returns the people tied directly to a unit, with role ("" for all),
// in role and name order.
func (s *Service) People(ctx context.Context, actor access.Actor, unitID int64, role string) ([]Person, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	q := `SELECT ` + personCols + personFrom + ` WHERE p.unit_id = ?`
	args := []any{unitID}
	if role != "" {
		q += ` AND p.role = ?`
		args = append(args, role)
	}
	ps, err := s.scanPeople(s.db.Query(ctx, q+` ORDER BY p.role, p.id`, args...))
	if err != nil {
		return nil, fmt.Errorf("people of unit %d: %w", unitID, err)
	}
	return ps, nil
}

// PartyOrgMembers returns the party members of a party organisation.
func (s *Service) PartyOrgMembers(ctx context.Context, actor access.Actor, partyOrgID int64) ([]Person, error) {
	var unitPath string
	if err := s.db.QueryRow(ctx, `SELECT u.path FROM party_orgs o JOIN units u ON u.id = o.unit_id WHERE o.id = ?`, partyOrgID).Scan(&unitPath); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, store.NotFound("找不到该党组织")
		}
		return nil, fmt.Errorf("party organisation %d: %w", partyOrgID, err)
	}
	if !canRead(actor, unitPath) {
		return nil, store.Forbidden("无权查看该党组织")
	}
	ps, err := s.scanPeople(s.db.Query(ctx, `SELECT `+personCols+personFrom+` WHERE p.party_org_id = ? ORDER BY p.id`, partyOrgID))
	if err != nil {
		return nil, fmt.Errorf("members of party organisation %d: %w", partyOrgID, err)
	}
	return ps, nil
}

// PartyMembersRegisteredAt returns the serving party members registered at a
// community where they live (dual registration), whatever unit they work at.
// Scope is not checked (callers have checked the community).
func (s *Service) PartyMembersRegisteredAt(ctx context.Context, communityID int64) ([]Person, error) {
	ps, err := s.scanPeople(s.db.Query(ctx, `SELECT `+personCols+personFrom+` WHERE p.home_unit_id = ? AND p.role = ? ORDER BY p.id`, communityID, RolePartyMember))
	if err != nil {
		return nil, fmt.Errorf("party members registered at unit %d: %w", communityID, err)
	}
	return ps, nil
}

// PeopleByPhone finds the people in the actor's scope with a phone number
// (an exact match on its keyed hash).
func (s *Service) PeopleByPhone(ctx context.Context, actor access.Actor, phone string) ([]Person, error) {
	if s.sealer == nil {
		return nil, errors.New("people by phone: no personal-data key configured")
	}
	phone = pii.NormalizePhone(phone)
	if !pii.ValidPhone(phone) {
		return nil, store.Invalid("联系电话格式不正确")
	}
	filter, args := scopeFilter(actor, "u.path")
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	args = append([]any{s.sealer.Hash(phone)}, args...)
	ps, err := s.scanPeople(s.db.Query(ctx, `SELECT `+personCols+personFrom+` WHERE p.phone_hash = ? AND `+filter+` ORDER BY p.id`, args...))
	if err != nil {
		return nil, fmt.Errorf("people by phone: %w", err)
	}
	return ps, nil
}

// RevealPhone returns a person's full phone number to an actor whose scope
// covers the person's unit, and records the reveal in the audit trail.
func (s *Service) RevealPhone(ctx context.Context, actor access.Actor, personID int64, reason string) (string, error) {
	if s.sealer == nil {
		return "", errors.New("reveal phone: no personal-data key configured")
	}
	var enc, unitPath, unitCode string
	err := s.db.QueryRow(ctx, `SELECT p.phone_enc, u.path, u.code FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, personID).Scan(&enc, &unitPath, &unitCode)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", store.NotFound("找不到该人员")
		}
		return "", fmt.Errorf("reveal phone of person %d: %w", personID, err)
	}
	if actor.Anonymous() || !actor.SeesPath(unitPath) {
		return "", store.Forbidden("无权查看该人员的完整电话")
	}
	phone, err := s.sealer.Open(enc)
	if err != nil {
		return "", fmt.Errorf("reveal phone of person %d: %w", personID, err)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "person.reveal_phone", Entity: "person",
			EntityID: fmt.Sprint(personID), Reason: reason, After: map[string]string{"unit": unitCode}})
	})
	if err != nil {
		return "", err
	}
	return phone, nil
}
