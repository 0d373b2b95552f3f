package party

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// A resolved case (a 12345 request, a whistle) whose part a party member or
// a co-building unit of the community carried out can be marked as a good
// deed (办实事好事) from its page. The case page asks CaseDeedOffer whether
// to offer it (a generic panel: the page knows no flow), and MarkCaseDeed
// records it in the volunteer ledger.

// DeedLedger is a ledger that also records good deeds marked from cases
// (the volunteer ledger does).
type DeedLedger interface {
	// CaseDeed records d, confirmed by the actor for the community.
	CaseDeed(ctx context.Context, actor access.Actor, d volunteer.Deed) (int64, error)
	// HasCaseDeed reports whether the case is already a good deed.
	HasCaseDeed(ctx context.Context, caseNo string) (bool, error)
}

func (l volunteerLedger) CaseDeed(ctx context.Context, actor access.Actor, d volunteer.Deed) (int64, error) {
	return l.v.RecordDeed(ctx, actor, d)
}

func (l volunteerLedger) HasCaseDeed(ctx context.Context, caseNo string) (bool, error) {
	return l.v.HasCaseDeed(ctx, caseNo)
}

// DeedDoer is who carried out a part of the case: a member or a unit. Key
// is "p<person id>" or "u<unit id>".
type DeedDoer struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// DeedOffer is the "mark as good deed" panel of a case page.
type DeedOffer struct {
	CaseNo        string     `json:"case_no"`
	CommunityName string     `json:"community_name"`
	Doers         []DeedDoer `json:"doers"`
	// Beneficiary is proposed: the reporter, else the case's place.
	Beneficiary string `json:"beneficiary"`
	Problem     string `json:"problem"`
}

// caseCommunity returns the community (or village) the case happened in.
func caseCommunity(ctx context.Context, q querier, c casework.Case) (unit, bool, error) {
	path := c.PlacePath
	if path == "" {
		path = c.GridPath
	}
	ids := pathIDs(path)
	for i := len(ids) - 1; i >= 0; i-- {
		var u unit
		err := q.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE id = ?`, ids[i]).Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
		if err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				continue
			}
			return u, false, fmt.Errorf("case community: %w", err)
		}
		if u.Kind == "community" || u.Kind == "village" {
			return u, true, nil
		}
	}
	return unit{}, false, nil
}

// carriedOut reports whether a part was carried out (answered or closed,
// not refused or returned).
func carriedOut(a casework.Assignment) bool {
	switch a.Status {
	case "refused", "returned", "cancelled", "to_sign":
		return false
	}
	return a.AnsweredAt != nil || a.ClosedAt != nil
}

// CaseDeedOffer returns the panel to offer on the case's page, or nil: the
// case is closed and resolved, not yet a good deed, a party member or a
// co-building unit of its community carried out a part, and the actor
// confirms for the community.
func (s *Service) CaseDeedOffer(ctx context.Context, actor access.Actor, d casework.CaseDetail) (*DeedOffer, error) {
	dl, ok := s.ledger.(DeedLedger)
	c := d.Case
	if !ok || !c.Closed() || (c.Resolved != nil && !*c.Resolved) {
		return nil, nil
	}
	com, ok, err := caseCommunity(ctx, s.db, c)
	if err != nil || !ok {
		return nil, err
	}
	if ok, err := s.mayCommunity(ctx, actor, com.Path); err != nil || !ok {
		return nil, err
	}
	doers, err := s.doers(ctx, d, com)
	if err != nil || len(doers) == 0 {
		return nil, err
	}
	if has, err := dl.HasCaseDeed(ctx, c.No); err != nil || has {
		return nil, err
	}
	o := &DeedOffer{CaseNo: c.No, CommunityName: com.Name, Doers: doers, Beneficiary: c.ReporterName, Problem: c.Title}
	if o.Beneficiary == "" {
		o.Beneficiary = c.Address
	}
	if o.Beneficiary == "" {
		o.Beneficiary = c.PlaceName
	}
	return o, nil
}

// doers lists the case's parts carried out by party members and by
// co-building units of the community.
func (s *Service) doers(ctx context.Context, d casework.CaseDetail, com unit) ([]DeedDoer, error) {
	var out []DeedDoer
	seen := map[string]bool{}
	for _, a := range d.Assignments {
		if !carriedOut(a) {
			continue
		}
		var key, name string
		if a.PersonID != 0 {
			var role string
			if err := s.db.QueryRow(ctx, `SELECT role FROM people WHERE id = ?`, a.PersonID).Scan(&role); err != nil {
				return nil, fmt.Errorf("doer %d: %w", a.PersonID, store.Normalize(err))
			}
			if role != "party_member" {
				continue
			}
			key, name = "p"+strconv.FormatInt(a.PersonID, 10), a.PersonName
		} else {
			var n int
			if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM co_building WHERE community_unit_id = ? AND unit_id = ? AND ended_at IS NULL`,
				com.ID, a.UnitID).Scan(&n); err != nil {
				return nil, fmt.Errorf("doer unit %d: %w", a.UnitID, err)
			}
			if n == 0 {
				continue
			}
			key, name = "u"+strconv.FormatInt(a.UnitID, 10), a.UnitName
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, DeedDoer{Key: key, Name: name})
		}
	}
	return out, nil
}

// CaseDeedInput is what the panel sends: the doer's key, for whom, and the
// problem solved.
type CaseDeedInput struct {
	Doer        string `json:"doer"`
	Beneficiary string `json:"beneficiary"`
	Problem     string `json:"problem"`
}

// MarkCaseDeed records the resolved case as a good deed of the doer,
// confirmed by the actor for the case's community.
func (s *Service) MarkCaseDeed(ctx context.Context, actor access.Actor, d casework.CaseDetail, in CaseDeedInput) (int64, error) {
	c := d.Case
	com, ok, err := caseCommunity(ctx, s.db, c)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, store.Invalid("该工单不在社区（村）内，无法登记为办实事好事")
	}
	if ok, err := s.mayCommunity(ctx, actor, com.Path); err != nil {
		return 0, err
	} else if !ok {
		return 0, store.Forbiddenf("只有%s或其上级的工作人员可以登记办实事好事", com.Name)
	}
	dl, ok := s.ledger.(DeedLedger)
	if !ok {
		return 0, store.NotFound("未启用志愿服务记录")
	}
	if !c.Closed() || (c.Resolved != nil && !*c.Resolved) {
		return 0, store.Invalid("只有已办结并解决的工单可以登记为办实事好事")
	}
	doers, err := s.doers(ctx, d, com)
	if err != nil {
		return 0, err
	}
	deed := volunteer.Deed{Beneficiary: in.Beneficiary, Problem: in.Problem, CaseNo: c.No, UnitID: com.ID, SourceRef: "case:" + c.No}
	found := false
	for _, dr := range doers {
		if dr.Key != strings.TrimSpace(in.Doer) {
			continue
		}
		found = true
		id, _ := strconv.ParseInt(dr.Key[1:], 10, 64)
		if dr.Key[0] == 'p' {
			deed.DoerPersonID = id
		} else {
			deed.DoerUnitID = id
		}
	}
	if !found {
		return 0, store.Invalid("请选择承办该工单的党员或共建单位")
	}
	return dl.CaseDeed(ctx, actor, deed)
}
