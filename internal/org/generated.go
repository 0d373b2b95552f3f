package org

import (
	"context"
	"fmt"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Generated writes generated organisation data (the demo data of
// internal/demo): grids, buildings, party organisations and people, every
// row marked demo = 1, in one transaction that ends with one audit entry.
// Unlike Import and AddPerson it checks nothing row by row and writes no
// audit entry per row: the generator is trusted to produce consistent data.
type Generated struct {
	s   *Service
	tx  *store.Tx
	now int64
}

// GeneratedUnit is a unit to add under a parent.
type GeneratedUnit struct {
	Code, Name, Kind, UnitType string
	// Lng and Lat are the centre point (GCJ-02).
	Lng, Lat *float64
	// Box, when set, is the unit's boundary (WGS-84): a rectangle.
	Box *BBox
}

// GeneratedPartyOrg is a party organisation to add under a parent one.
type GeneratedPartyOrg struct {
	Code, Name, Kind string
	UnitID           int64
}

// LoadGenerated runs fn in one transaction and writes one audit entry
// (action on the unit entityID, by the system, with fn's result as After).
// It needs the personal-data key, since people's phones are sealed.
func (s *Service) LoadGenerated(ctx context.Context, action, entityID string, fn func(g *Generated) (after any, err error)) error {
	if s.sealer == nil {
		return fmt.Errorf("no personal-data key configured")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		g := &Generated{s: s, tx: tx, now: s.nowMillis()}
		after, err := fn(g)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: action, Entity: "unit", EntityID: entityID, After: after})
	})
}

// Units returns every unit, ordered by code, as the transaction sees them.
func (g *Generated) Units(ctx context.Context) ([]Unit, error) {
	return scanUnits(g.tx.Query(ctx, `SELECT `+unitCols+unitFrom+` ORDER BY u.code`))
}

// AddUnit adds a unit (marked demo) under parent and returns it.
func (g *Generated) AddUnit(ctx context.Context, parent Unit, u GeneratedUnit) (Unit, error) {
	nu := newUnit{Code: u.Code, Name: u.Name, Kind: u.Kind, UnitType: u.UnitType, Lng: u.Lng, Lat: u.Lat, BBox: u.Box, Demo: true}
	if u.Box != nil {
		nu.Boundary = rectangle(*u.Box)
	}
	e, err := insertUnit(ctx, g.tx, &existingUnit{id: parent.ID, path: parent.Path, depth: parent.Depth}, nu, g.now)
	if err != nil {
		return Unit{}, err
	}
	return Unit{ID: e.id, Code: u.Code, Name: u.Name, Kind: u.Kind, ParentID: parent.ID, ParentCode: parent.Code, Path: e.path,
		Depth: e.depth, UnitType: u.UnitType, Lng: u.Lng, Lat: u.Lat, Boundary: nu.Boundary, Demo: true}, nil
}

// PartyOrgOf returns the first (highest) party organisation tied to a unit.
func (g *Generated) PartyOrgOf(ctx context.Context, unitID int64) (PartyOrg, error) {
	r, err := partyOrgOfUnit(ctx, g.tx, unitID)
	if err != nil {
		return PartyOrg{}, err
	}
	return PartyOrg{ID: r.id, Path: r.path, Depth: r.depth, UnitID: unitID}, nil
}

// AddPartyOrg adds a party organisation (marked demo) under parent.
func (g *Generated) AddPartyOrg(ctx context.Context, parent PartyOrg, o GeneratedPartyOrg) (PartyOrg, error) {
	r, err := insertPartyOrg(ctx, g.tx, &partyRef{id: parent.ID, path: parent.Path, depth: parent.Depth},
		newPartyOrg{Code: o.Code, Name: o.Name, Kind: o.Kind, UnitID: o.UnitID, Demo: true}, g.now)
	if err != nil {
		return PartyOrg{}, err
	}
	return PartyOrg{ID: r.id, Code: o.Code, Name: o.Name, Kind: o.Kind, ParentID: parent.ID, Path: r.path, Depth: r.depth, UnitID: o.UnitID, Demo: true}, nil
}

// AddPerson adds a person (marked demo), sealing their phone number.
func (g *Generated) AddPerson(ctx context.Context, in PersonInput) error {
	in.Demo = true
	_, err := g.s.insertPerson(ctx, g.tx, in)
	return err
}

// ShortName drops the NBS suffix of a community or village name, as the
// standing party organisations are named: "仙楼社区居委会" → "仙楼社区".
func ShortName(name string) string { return shortName(name) }
