package casework

import (
	"context"
	"fmt"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// People as parties. A whistle may summon a person (a party member, a grid
// worker, a cadre) rather than a unit; the person's part sits at the
// community where they are registered, else at their work unit. People are
// not staff users: they act on their own parts only (ScopePerson), through a
// page the party registry (internal/party) gives them by a personal link,
// and staff may record the steps for someone who has no phone. This file
// also lists whom a whistle may summon and the units the forms pick from.

// Person is someone acting on their own part of a case without a user
// account: who they are and how the timeline and audit trail name them.
type Person struct {
	ID int64
	// Name is how the timeline names them ("张某某（党员本人）").
	Name string
	// The unit they work at.
	UnitID   int64
	UnitCode string
	UnitName string
	UnitPath string
}

func (p Person) actor() access.Actor {
	return access.Actor{Name: p.Name, UnitID: p.UnitID, UnitCode: p.UnitCode, UnitName: p.UnitName, UnitPath: p.UnitPath}
}

// PersonPart is one of a person's parts, as their own page shows it.
type PersonPart struct {
	Case       Case         `json:"case"`
	Assignment Assignment   `json:"assignment"`
	Actions    []ActionSpec `json:"actions"`
}

// PersonParts lists a person's parts: open ones first, then the latest
// closed ones, with the actions they may take on each now.
func (s *Service) PersonParts(ctx context.Context, personID int64, limit int) ([]PersonPart, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT c.no FROM assignments a JOIN cases c ON c.id = a.case_id WHERE a.person_id = ?
		ORDER BY CASE WHEN a.closed_at IS NULL THEN 0 ELSE 1 END, a.id DESC LIMIT ?`, personID, limit)
	if err != nil {
		return nil, fmt.Errorf("person %d parts: %w", personID, err)
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
	var out []PersonPart
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
		acts := s.personActions(personID, d)
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
			out = append(out, PersonPart{Case: d.Case, Assignment: a, Actions: mine})
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

// personActions are the assignment actions a person may take on the case now.
func (s *Service) personActions(personID int64, d CaseDetail) []ActionSpec {
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

// PersonDo takes an action as person p on their own part of the case
// (accept, refuse, report in, report the result), in one transaction like
// Do. The caller has established who p is (a personal link).
func (s *Service) PersonDo(ctx context.Context, p Person, no string, act Action) (Case, error) {
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
			if a.PersonID == p.ID {
				mine = true
				if act.AssignmentID == 0 && a.Open() {
					act.AssignmentID = a.ID
				}
			}
		}
		if !mine {
			return caseNotFound(no)
		}
		actor := p.actor()
		for _, a := range d.Assignments {
			if a.ID == act.AssignmentID {
				actor.UnitID, actor.UnitPath = a.UnitID, a.UnitPath
			}
		}
		x, err := s.newActx(ctx, tx, actor, &d)
		if err != nil {
			return err
		}
		x.person = p.ID
		if err := x.apply(ctx, act, nil); err != nil {
			return err
		}
		out, err = loadCase(ctx, tx, "c.id = ?", d.Case.ID)
		return err
	})
	if err != nil {
		return Case{}, err
	}
	s.log.InfoContext(ctx, "person action", "case_no", no, "action", act.Name, "person_id", p.ID, "status", out.Status)
	return out, nil
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
// co-building organisations for community whistles (the party registry's); the grid workers,
// cadres and grids of the township for organisation whistles.
func (s *Service) Summonables(ctx context.Context, actor access.Actor, kind, placeCode string) ([]Summonable, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	var place unitRef
	if placeCode != "" {
		var err error
		if place, err = org.RefByCode(ctx, s.db, placeCode); err != nil {
			if isNotFound(err) {
				return nil, store.Invalidf("找不到单位编码 %s", placeCode)
			}
			return nil, err
		}
	}
	var out []Summonable
	addUnits := func(us []org.Ref, err error) error {
		if err != nil {
			return fmt.Errorf("summonable units: %w", err)
		}
		for _, u := range us {
			out = append(out, Summonable{Code: u.Code, Name: u.Name, What: u.Kind})
		}
		return nil
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
		if err := addUnits(org.RefsOfKind(ctx, s.db, org.KindDepartment)); err != nil {
			return nil, err
		}
		if place.ID != 0 {
			t, ok, err := s.townshipOfPath(ctx, place.Path)
			if err != nil {
				return nil, err
			}
			if ok {
				if err := addUnits(org.ChildRefs(ctx, s.db, t.ID, org.KindCommunity, org.KindVillage)); err != nil {
					return nil, err
				}
			}
		}
	case WhistleCommunity:
		if place.ID == 0 {
			return nil, store.Invalid("请先选择吹哨的社区")
		}
		if s.party != nil { // the registry knows the co-building units and registered members
			xs, err := s.party.Summonables(ctx, place.ID)
			if err != nil {
				return nil, fmt.Errorf("summonable for a community whistle: %w", err)
			}
			out = append(out, xs...)
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
		if err := addUnits(org.SubtreeRefsOfKind(ctx, s.db, place.Path, org.KindGrid, 200)); err != nil {
			return nil, err
		}
		lo, hi := access.PathRange(t.Path)
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
	return org.TownshipRefAbove(ctx, s.db, path)
}

// PlaceChoices lists the places actor may blow a whistle, raise a call or
// open an enforcement case for (org.PlaceChoices).
func (s *Service) PlaceChoices(ctx context.Context, actor access.Actor) ([]UnitChoice, error) {
	return org.PlaceChoices(ctx, s.db, actor)
}

// UnitChoices lists the units of the given kinds, by code, for pickers
// (org.UnitChoices).
func (s *Service) UnitChoices(ctx context.Context, kinds ...string) ([]UnitChoice, error) {
	return org.UnitChoices(ctx, s.db, kinds...)
}
