package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// This file holds what the engine needs for cases that summon several
// parties (whistles, township calls, enforcement transfers): limits by flow
// and kind, whom an action may assign, people as parties, and the hooks of
// the executable lists (access list, territorial list) and of the party
// registry (co-building units, dual registration, volunteer service).

// AccessCheck is one assignment of work from a unit to another that the
// access list (职责准入清单) may refuse.
type AccessCheck struct {
	Actor        access.Actor
	FromUnitID   int64
	ToUnitID     int64
	CategoryCode string
	MatterCode   string
	Purpose      string
	// Decision marks a decision of the actor's own unit on the matter
	// (ListRules.CheckDecision), not a hand-off.
	Decision bool
}

// ListRules are the executable lists as the engine reads them. The catalog
// provides them (wired in cmd/grassroots); without them the engine assigns
// freely and proposes from categories.dept_unit_id.
type ListRules struct {
	// CheckAccess enforces the access list. With a transaction it checks
	// and records the attempt in it; with tx nil it records the attempt in
	// a transaction of its own (used to keep a refused attempt on record
	// after the action's transaction rolled back). A refusal is an
	// ErrForbidden whose message cites the rule.
	CheckAccess func(ctx context.Context, tx *store.Tx, req AccessCheck) error
	// CheckDecision enforces the empowerment list on a decision
	// (ActionSpec.Decision) of the actor's unit (req.FromUnitID) on the
	// matter; tx as for CheckAccess. A refusal is an ErrForbidden whose
	// message cites the rule and says where to transfer the case.
	CheckDecision func(ctx context.Context, tx *store.Tx, req AccessCheck) error
	// MatterName names a catalogue matter by its code; ErrNotFound (a user
	// message) when the catalogue has no such matter.
	MatterName func(ctx context.Context, code string) (string, error)
	// Propose returns, from the territorial list, the codes of the county
	// department with primary responsibility for a category's matter and of
	// the supporting units; ErrNotFound when the lists say nothing.
	Propose func(ctx context.Context, categoryCode string) (lead string, supporting []string, matter string, err error)
}

// UseLists makes the engine obey the executable lists. Call it once, before
// the engine serves requests.
func (s *Service) UseLists(r ListRules) { s.lists = r }

// caseLimit is the time limit of a deadline for case c: the settings for its
// category (casework.limit.<deadline>.category.<code>.<priority>, then
// .category.<code>), for its request type (.type.<type>.<priority>, then
// .type.<type>), for the flow and kind (casework.limit.<deadline>.<flow>.<kind>.<priority>,
// then .<flow>.<kind>), then the settings for the flow
// (casework.limit.<deadline>.<flow>.<priority>, then .<flow>), then the
// flow's own defaults (Flow.Limits), then the engine's settings and
// defaults by priority.
func (s *Service) caseLimit(set settings, deadline string, c *Case) (worktime.Limit, error) {
	if l, ok, err := ownLimit(c, deadline); ok || err != nil {
		return l, err
	}
	var keys []string
	// Time limits per category and per request type are data too: a
	// category's limit is the most specific, then the request type's.
	if c.CategoryCode != "" {
		cat := SettingLimitPrefix + deadline + ".category." + c.CategoryCode
		keys = append(keys, cat+"."+c.Priority, cat)
	}
	if c.RequestType != "" {
		rt := SettingLimitPrefix + deadline + ".type." + c.RequestType
		keys = append(keys, rt+"."+c.Priority, rt)
	}
	base := SettingLimitPrefix + deadline + "." + c.Flow
	if c.Kind != "" {
		keys = append(keys, base+"."+c.Kind+"."+c.Priority, base+"."+c.Kind)
	}
	keys = append(keys, base+"."+c.Priority, base)
	for _, k := range keys {
		if v, ok := set[k]; ok && strings.TrimSpace(v) != "" {
			l, err := ParseLimit(v)
			if err != nil {
				return worktime.Limit{}, fmt.Errorf("setting %s: %w", k, err)
			}
			return l, nil
		}
	}
	if f, ok := s.flows[c.Flow]; ok && len(f.Limits) > 0 {
		var fk []string
		if c.Kind != "" {
			fk = append(fk, deadline+"."+c.Kind+"."+c.Priority, deadline+"."+c.Kind)
		}
		fk = append(fk, deadline+"."+c.Priority, deadline)
		for _, k := range fk {
			if v, ok := f.Limits[k]; ok {
				l, err := ParseLimit(v)
				if err != nil {
					return worktime.Limit{}, fmt.Errorf("flow %s limit %s: %w", f.Name, k, err)
				}
				return l, nil
			}
		}
	}
	return set.limit(deadline, c.Flow, c.Priority)
}

// PartyRegistry is what the engine asks of the party registry
// (internal/party): which units signed a co-building agreement with a community, where a
// person is registered (dual registration), whom a community whistle may
// summon, and the volunteer service a person's finished part earns. The
// registry imports the engine, so the engine knows it only through this
// interface, wired once with UseParty (cmd/grassroots). Without it a
// summons rule's CoBuilding and RegisteredAtPlace admit nobody and no
// service is credited.
type PartyRegistry interface {
	// CoBuilds reports whether unit has a current co-building agreement
	// (共建协议) with community.
	CoBuilds(ctx context.Context, tx *store.Tx, communityID, unitID int64) (bool, error)
	// HomeOf returns the id of the community where the person is
	// registered, or 0.
	HomeOf(ctx context.Context, tx *store.Tx, personID int64) (int64, error)
	// Summonables lists the co-building units and the registered party
	// members of a community, for a community whistle's form.
	Summonables(ctx context.Context, communityID int64) ([]Summonable, error)
	// Served credits a person's part whose result was accepted as
	// volunteer service, in the action's transaction, and returns the
	// minutes credited.
	Served(ctx context.Context, tx *store.Tx, p ServedPart) (minutes int, err error)
}

// ServedPart is a person's part whose result was accepted.
type ServedPart struct {
	PersonID     int64
	CaseID       int64
	AssignmentID int64
	// UnitID is where the part was served (the community of the person's
	// dual registration, else their work unit).
	UnitID int64
	// Start is the report-in and End the result (each the action's time
	// when missing); At is the action's time.
	Start, End, At time.Time
}

// UseParty makes the engine ask the party registry about co-building
// units, registered members and volunteer service. Call it once, before the
// engine serves requests.
func (s *Service) UseParty(r PartyRegistry) { s.party = r }

// summonee is a person a case may summon.
type summonee struct {
	id   int64
	name string
	role string
	// unit is where the person's part is assigned: the community they are
	// registered at (dual registration), else the unit they work at.
	unit unitRef
	// workPath is the path of the unit they work at.
	workPath string
	home     int64
}

func (x *actx) personForSummons(ctx context.Context, id int64) (summonee, error) {
	var p summonee
	var unitID int64
	err := x.tx.QueryRow(ctx, `SELECT p.id, p.name, p.role, p.unit_id, u.path FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, id).
		Scan(&p.id, &p.name, &p.role, &unitID, &p.workPath)
	if err != nil {
		if isNotFound(err) {
			return p, store.Invalidf("找不到人员 %d", id)
		}
		return p, fmt.Errorf("person %d: %w", id, err)
	}
	if x.s.party != nil {
		if p.home, err = x.s.party.HomeOf(ctx, x.tx, id); err != nil {
			return p, fmt.Errorf("dual registration of person %d: %w", id, err)
		}
	}
	at := unitID
	if p.home != 0 {
		at = p.home
	}
	if p.unit, err = unitByID(ctx, x.tx, at); err != nil {
		return p, err
	}
	return p, nil
}

// checkAssign checks that the action may assign unit u (or person, when
// not 0, at u): the action's unit kinds, the flow's summons rule for the
// case's kind, and the access list.
func (x *actx) checkAssign(ctx context.Context, spec ActionSpec, u unitRef, person int64) error {
	if person == 0 && len(spec.UnitKinds) > 0 && !slices.Contains(spec.UnitKinds, u.Kind) {
		return store.Invalidf("“%s”不能交给%s", actionLabel(spec), u.Name)
	}
	if rule, ok := x.summonRule(); ok {
		if err := x.checkRule(ctx, rule, u, person); err != nil {
			return err
		}
	}
	if x.s.lists.CheckAccess != nil && x.actor.UnitID != 0 && !x.actor.System {
		from := x.actor.UnitID
		if spec.AccessFromOpener && x.c.OpenedByUnitID != 0 {
			from = x.c.OpenedByUnitID
		}
		req := AccessCheck{Actor: x.actor, FromUnitID: from, ToUnitID: u.ID, CategoryCode: x.c.CategoryCode, MatterCode: x.c.MatterCode,
			Purpose: fmt.Sprintf("工单 %s %s", x.c.No, actionLabel(spec))}
		if err := x.s.lists.CheckAccess(ctx, x.tx, req); err != nil {
			if errors.Is(err, store.ErrForbidden) && x.refused != nil {
				*x.refused = append(*x.refused, x.refusedAs(req, spec))
			}
			return err
		}
	}
	return nil
}

// refusedAs is a refused check as it is recorded after the rollback: a
// refusal at intake names the case by its title, since the number it was
// given is rolled back with it and goes to a later case.
func (x *actx) refusedAs(req AccessCheck, spec ActionSpec) AccessCheck {
	if x.intake {
		req.Purpose = fmt.Sprintf("新建%s“%s” %s（未受理，未编号）", label(x.flow.LabelKey()), x.c.Title, actionLabel(spec))
	}
	return req
}

// checkDecision asks the empowerment list whether the actor's unit may
// take the decision spec on the case's matter.
func (x *actx) checkDecision(ctx context.Context, spec ActionSpec) error {
	if !spec.Decision || x.s.lists.CheckDecision == nil || x.actor.UnitID == 0 || x.actor.System {
		return nil
	}
	req := AccessCheck{Actor: x.actor, FromUnitID: x.actor.UnitID, ToUnitID: x.actor.UnitID, MatterCode: x.c.MatterCode, Decision: true,
		Purpose: fmt.Sprintf("工单 %s %s", x.c.No, actionLabel(spec))}
	if err := x.s.lists.CheckDecision(ctx, x.tx, req); err != nil {
		if errors.Is(err, store.ErrForbidden) && x.refused != nil {
			*x.refused = append(*x.refused, x.refusedAs(req, spec))
		}
		return err
	}
	return nil
}

// setMatter makes code the case's matter (an action naming it).
func (x *actx) setMatter(ctx context.Context, code string) error {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" || code == x.c.MatterCode {
		return nil
	}
	if err := x.s.checkMatter(ctx, code); err != nil {
		return err
	}
	if _, err := x.tx.Exec(ctx, `UPDATE cases SET matter_code = ? WHERE id = ?`, code, x.c.ID); err != nil {
		return fmt.Errorf("set matter: %w", err)
	}
	x.c.MatterCode = code
	return nil
}

// checkMatter refuses a matter code the catalogue does not hold.
func (s *Service) checkMatter(ctx context.Context, code string) error {
	if len(code) > 20 {
		return store.Invalid("事项编码过长")
	}
	if s.lists.MatterName == nil {
		return nil
	}
	if _, err := s.lists.MatterName(ctx, code); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Invalidf("事项编码“%s”不在事项目录中，请从事项目录中选择", code)
		}
		return err
	}
	return nil
}

func (x *actx) summonRule() (SummonRule, bool) {
	if r, ok := x.flow.Summons[x.c.Kind]; ok {
		return r, true
	}
	r, ok := x.flow.Summons[""]
	return r, ok
}

func (x *actx) checkRule(ctx context.Context, rule SummonRule, u unitRef, person int64) error {
	if person == 0 {
		if slices.Contains(rule.UnitKinds, u.Kind) {
			return nil
		}
		if rule.CoBuilding && x.c.PlaceUnitID != 0 && x.s.party != nil {
			ok, err := x.s.party.CoBuilds(ctx, x.tx, x.c.PlaceUnitID, u.ID)
			if err != nil {
				return fmt.Errorf("co-building agreements: %w", err)
			}
			if ok {
				return nil
			}
		}
		if rule.CoBuilding {
			return store.Invalidf("%s不是本社区的共建单位，社区吹哨只能召集共建单位和在本社区报到的党员", u.Name)
		}
		return store.Invalidf("此类吹哨不能召集%s", u.Name)
	}
	p, err := x.personForSummons(ctx, person)
	if err != nil {
		return err
	}
	if !slices.Contains(rule.PersonRoles, p.role) {
		return store.Invalidf("此类吹哨不能召集%s（人员类别不符）", p.name)
	}
	if rule.RegisteredAtPlace && (x.c.PlaceUnitID == 0 || p.home != x.c.PlaceUnitID) {
		return store.Invalidf("%s未在本社区双报到，不能召集", p.name)
	}
	if rule.InTownship {
		t, ok, err := townshipOf(ctx, x.tx, x.c.PlacePath)
		if err != nil {
			return err
		}
		if !ok || !within(p.workPath, t.Path) {
			return store.Invalidf("%s不在本乡镇（街道）一线，不能召集", p.name)
		}
	}
	return nil
}

// insertAssignment writes a new part of the case.
func (x *actx) insertAssignment(ctx context.Context, u unitRef, person int64, personName, role, status string) (Assignment, error) {
	now := store.Millis(x.now)
	// A lead part made in hand (a ruling, a transfer accepted) has no
	// signing step: it counts as signed when it is made (签收, docs/RATES.md).
	var signed any
	var signedAt *time.Time
	if role == RoleLead && status != "to_sign" {
		signed, signedAt = now, &x.now
	}
	var id int64
	err := x.tx.QueryRow(ctx, `INSERT INTO assignments (case_id, case_created_at, unit_id, unit_path, person_id, role, status, dispatched_at, dispatched_by, dispatched_by_unit_id, signed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.c.ID, store.Millis(x.c.CreatedAt), u.ID, u.Path, store.NullID(person), role, status, now, store.NullID(x.actor.UserID), store.NullID(x.actor.UnitID), signed, now, now).Scan(&id)
	if err != nil {
		return Assignment{}, fmt.Errorf("create assignment: %w", err)
	}
	return Assignment{ID: id, CaseID: x.c.ID, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitPath: u.Path, PersonID: person, PersonName: personName,
		Role: role, Status: status, DispatchedAt: x.now, DispatchedBy: x.actor.UserID, DispatcherPath: x.actor.UnitPath, SignedAt: signedAt, CreatedAt: x.now, UpdatedAt: x.now}, nil
}

// volunteerHours asks the party registry to credit a person's part as
// volunteer service: from report-in to the result. A part without a
// person, or an engine without a registry, records nothing.
func (x *actx) volunteerHours(ctx context.Context, a *Assignment, data map[string]any) error {
	if a.PersonID == 0 || x.s.party == nil {
		return nil
	}
	var reported, answered int64
	err := x.tx.QueryRow(ctx, `SELECT COALESCE(reported_at, 0), COALESCE(answered_at, 0) FROM assignments WHERE id = ?`, a.ID).Scan(&reported, &answered)
	if err != nil {
		return fmt.Errorf("volunteer hours: %w", err)
	}
	p := ServedPart{PersonID: a.PersonID, CaseID: x.c.ID, AssignmentID: a.ID, UnitID: a.UnitID, Start: x.now, End: x.now, At: x.now}
	if reported != 0 {
		p.Start = time.UnixMilli(reported)
	}
	if answered != 0 && answered > store.Millis(p.Start) {
		p.End = time.UnixMilli(answered)
	}
	minutes, err := x.s.party.Served(ctx, x.tx, p)
	if err != nil {
		return fmt.Errorf("volunteer hours: %w", err)
	}
	data["volunteer_minutes"] = minutes
	return nil
}

var fieldNames = map[string]string{"basis": "法律依据", "evidence": "证据清单", "reason": "移送理由", "decision_no": "处罚决定书文号", "matter": "事项",
	"item": "变更后的行为目录条目"}

func fieldName(f string) string {
	if n, ok := fieldNames[f]; ok {
		return n
	}
	return f
}

// Proposal is whom the lists propose for a category: the county department
// with primary responsibility and the supporting units.
type Proposal struct {
	Lead       UnitChoice   `json:"lead"`
	Supporting []UnitChoice `json:"supporting"`
	// Source is "territorial_list" (the catalog's list) or "category" (the
	// category's responsible department).
	Source string `json:"source"`
	Matter string `json:"matter,omitempty"`
}

// UnitChoice names a unit in a proposal or a picker.
type UnitChoice = org.Choice

// Propose says which county department should answer a matter of the
// category and which units support it: the territorial list when it names
// the category's matter, else the category's responsible department.
func (s *Service) Propose(ctx context.Context, categoryCode string) (Proposal, error) {
	categoryCode = strings.TrimSpace(categoryCode)
	var p Proposal
	if categoryCode == "" {
		return p, store.Invalid("请选择问题分类")
	}
	name := func(code string) (UnitChoice, error) {
		u, err := org.ChoiceByCode(ctx, s.db, code)
		if err != nil {
			return u, fmt.Errorf("unit %s: %w", code, err)
		}
		return u, nil
	}
	if s.lists.Propose != nil {
		lead, sup, matter, err := s.lists.Propose(ctx, categoryCode)
		switch {
		case err == nil && lead != "":
			if p.Lead, err = name(lead); err != nil {
				return p, err
			}
			for _, c := range sup {
				u, err := name(c)
				if err != nil {
					return p, err
				}
				p.Supporting = append(p.Supporting, u)
			}
			p.Source, p.Matter = "territorial_list", matter
			return p, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return p, err
		}
	}
	err := s.db.QueryRow(ctx, `SELECT u.code, u.name, u.kind FROM categories c JOIN units u ON u.id = c.dept_unit_id WHERE c.code = ?`, categoryCode).
		Scan(&p.Lead.Code, &p.Lead.Name, &p.Lead.Kind)
	if err != nil {
		if isNotFound(err) {
			return p, store.NotFoundf("分类 %s 没有对应的责任部门，请手工选择", categoryCode)
		}
		return p, fmt.Errorf("propose for %s: %w", categoryCode, err)
	}
	p.Source = "category"
	return p, nil
}

// recordRefusals keeps refused access-list attempts on record after the
// transaction that made them rolled back.
func (s *Service) recordRefusals(ctx context.Context, refused []AccessCheck) {
	for _, req := range refused {
		check := s.lists.CheckAccess
		if req.Decision {
			check = s.lists.CheckDecision
		}
		if check == nil {
			continue
		}
		if err := check(ctx, nil, req); err != nil && !errors.Is(err, store.ErrForbidden) {
			s.log.ErrorContext(ctx, "record refused access attempt", "purpose", req.Purpose, "err", err)
		}
	}
}
