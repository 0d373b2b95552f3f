package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// Party organisation kinds, from the county down: county committee → street
// party working committee / township committee → community party committee /
// village branch → grid party branch → building/street party group.
const (
	PartyCountyCommittee    = "county_committee"
	PartyWorkingCommittee   = "working_committee"
	PartyTownshipCommittee  = "township_committee"
	PartyCommunityCommittee = "community_committee"
	PartyVillageBranch      = "village_branch"
	PartyGridBranch         = "grid_branch"
	PartyGroup              = "party_group"
	// PartyUnitBranch is the party organisation of a county department, an
	// enterprise or an institution (机关企事业单位党组织): the co-building
	// units' side of dual registration (internal/party).
	PartyUnitBranch = "unit_branch"
)

// PartyOrg is a party organisation, tied to its administrative unit.
type PartyOrg struct {
	ID         int64
	Code       string
	Name       string
	Kind       string
	ParentID   int64
	ParentCode string
	Path       string
	Depth      int
	UnitID     int64
	UnitCode   string
	UnitName   string
	UnitPath   string
	Demo       bool
}

// shortName drops the NBS suffix of a community or village name:
// "仙楼社区居委会" → "仙楼社区", "东门村委会" → "东门村".
func shortName(name string) string {
	for _, suf := range []string{"居委会", "委会"} {
		if strings.HasSuffix(name, suf) && len(name) > len(suf) {
			return strings.TrimSuffix(name, suf)
		}
	}
	return name
}

// standingPartyOrg names the party organisation every unit of a kind has
// (county committee, township committee ...), or "" for kinds that have none
// by default.
func standingPartyOrg(kind, unitName string) (partyKind, name string) {
	switch kind {
	case KindCounty:
		return PartyCountyCommittee, "中共" + unitName + "委员会"
	case KindStreet:
		return PartyWorkingCommittee, unitName + "党工委"
	case KindTownship:
		return PartyTownshipCommittee, unitName + "党委"
	case KindCommunity:
		return PartyCommunityCommittee, shortName(unitName) + "党委"
	case KindVillage:
		return PartyVillageBranch, shortName(unitName) + "党支部"
	}
	return "", ""
}

// partyRef is what inserting a child needs of a party organisation.
type partyRef struct {
	id    int64
	path  string
	depth int
}

type newPartyOrg struct {
	Code, Name, Kind string
	UnitID           int64
	Demo             bool
}

// partyOrgOfUnit returns the first (highest) party organisation tied to a
// unit.
func partyOrgOfUnit(ctx context.Context, tx *store.Tx, unitID int64) (*partyRef, error) {
	var r partyRef
	err := tx.QueryRow(ctx, `SELECT id, path, depth FROM party_orgs WHERE unit_id = ? ORDER BY depth, id LIMIT 1`, unitID).Scan(&r.id, &r.path, &r.depth)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func insertPartyOrg(ctx context.Context, tx *store.Tx, parent *partyRef, o newPartyOrg, now int64) (*partyRef, error) {
	var parentID any
	prefix, depth := "/", 0
	if parent != nil {
		parentID, prefix, depth = parent.id, parent.path, parent.depth+1
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO party_orgs (code, name, kind, parent_id, path, depth, unit_id, demo, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.Code, o.Name, o.Kind, parentID, "#"+o.Code, depth, o.UnitID, store.BoolInt(o.Demo), now).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("party organisation %s: %w", o.Code, err)
	}
	p := prefix + strconv.FormatInt(id, 10) + "/"
	if _, err := tx.Exec(ctx, `UPDATE party_orgs SET path = ? WHERE id = ?`, p, id); err != nil {
		return nil, err
	}
	return &partyRef{id: id, path: p, depth: depth}, nil
}

const partyCols = `o.id, o.code, o.name, o.kind, COALESCE(o.parent_id, 0), COALESCE(po.code, ''), o.path, o.depth,
	o.unit_id, u.code, u.name, u.path, o.demo`

const partyFrom = ` FROM party_orgs o JOIN units u ON u.id = o.unit_id LEFT JOIN party_orgs po ON po.id = o.parent_id`

func scanPartyOrg(sc store.Scanner) (PartyOrg, error) {
	var o PartyOrg
	var demo int
	err := sc.Scan(&o.ID, &o.Code, &o.Name, &o.Kind, &o.ParentID, &o.ParentCode, &o.Path, &o.Depth,
		&o.UnitID, &o.UnitCode, &o.UnitName, &o.UnitPath, &demo)
	o.Demo = demo != 0
	return o, err
}

func scanPartyOrgs(rows *sql.Rows, err error) ([]PartyOrg, error) {
	return store.Collect(rows, err, scanPartyOrg)
}

// PartyOrgByCode returns a party organisation, if the actor may read its
// unit.
func (s *Service) PartyOrgByCode(ctx context.Context, actor access.Actor, code string) (PartyOrg, error) {
	o, err := scanPartyOrg(s.db.QueryRow(ctx, `SELECT `+partyCols+partyFrom+` WHERE o.code = ?`, strings.TrimSpace(code)))
	if errors.Is(err, store.ErrNotFound) {
		return PartyOrg{}, store.NotFoundf("找不到代码为 %s 的党组织", code)
	}
	if err != nil {
		return PartyOrg{}, fmt.Errorf("party organisation %s: %w", code, err)
	}
	if !canRead(actor, o.UnitPath) {
		return PartyOrg{}, forbiddenUnit(actor, Unit{Name: o.Name, Code: o.Code})
	}
	return o, nil
}

// PartyOrgChildren returns the party organisations directly under one, in
// code order.
func (s *Service) PartyOrgChildren(ctx context.Context, actor access.Actor, partyOrgID int64) ([]PartyOrg, error) {
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
	os, err := scanPartyOrgs(s.db.Query(ctx, `SELECT `+partyCols+partyFrom+` WHERE o.parent_id = ? ORDER BY o.code`, partyOrgID))
	if err != nil {
		return nil, fmt.Errorf("children of party organisation %d: %w", partyOrgID, err)
	}
	return os, nil
}

// PartyOrgAncestors returns the party organisations above one, root first.
// Scope is not checked.
func (s *Service) PartyOrgAncestors(ctx context.Context, o PartyOrg) ([]PartyOrg, error) {
	ids := PathIDs(o.Path)
	if len(ids) <= 1 {
		return nil, nil
	}
	ids = ids[:len(ids)-1]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return scanPartyOrgs(s.db.Query(ctx, `SELECT `+partyCols+partyFrom+` WHERE o.id IN (`+placeholders(len(ids))+`) ORDER BY o.depth`, args...))
}

// PartyOrgsOfUnit returns the party organisations tied to a unit (a grid's
// branch, a building's party group ...).
func (s *Service) PartyOrgsOfUnit(ctx context.Context, actor access.Actor, unitID int64) ([]PartyOrg, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	os, err := scanPartyOrgs(s.db.Query(ctx, `SELECT `+partyCols+partyFrom+` WHERE o.unit_id = ? ORDER BY o.depth, o.code`, unitID))
	if err != nil {
		return nil, fmt.Errorf("party organisations of unit %d: %w", unitID, err)
	}
	return os, nil
}

// PartyOrgsUnder returns the party organisations tied to the direct children
// of a unit (a community's grid branches), in code order.
func (s *Service) PartyOrgsUnder(ctx context.Context, actor access.Actor, unitID int64) ([]PartyOrg, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	os, err := scanPartyOrgs(s.db.Query(ctx, `SELECT `+partyCols+partyFrom+` WHERE u.parent_id = ? ORDER BY o.code`, unitID))
	if err != nil {
		return nil, fmt.Errorf("party organisations under unit %d: %w", unitID, err)
	}
	return os, nil
}
