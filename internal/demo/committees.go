package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/party"
)

// PartyCommittees adds, once, the demo's party-mass service centres (one
// per township and street, one per community that has co-building
// agreements: the demo activities' places), the streets' big working
// committees (part-time members from county departments) and the
// communities' big party committees (part-time members from their
// co-building units), and one meeting per street committee with the open
// commitments of its area on the agenda. Fictitious, labelled as such.
func PartyCommittees(ctx context.Context, o *org.Service, p *party.Service, now time.Time) (int, error) {
	if n, err := p.DemoCentres(ctx); err != nil || n > 0 {
		return 0, err
	}
	sys := access.System
	centres := 0
	addCentre := func(u org.Unit) (party.Centre, error) {
		name := strings.TrimSuffix(strings.TrimSuffix(u.Name, "居委会"), "村委会") + "党群服务中心"
		c, err := p.AddCentre(ctx, sys, u.Code, name, Label, true)
		if err == nil {
			centres++
		}
		return c, err
	}
	depts, err := o.ByKind(ctx, org.KindDepartment)
	if err != nil {
		return 0, err
	}
	termFrom := time.Date(now.Year()-1, 1, 1, 0, 0, 0, 0, shanghai).Format("2006-01-02")
	termTo := time.Date(now.Year()+3, 12, 31, 0, 0, 0, 0, shanghai).Format("2006-01-02")
	// personOf picks a party member of the unit's party organisation (the
	// demo register's), so that a part-time member is a person of the
	// register; 0 when the unit has none (the member is then a name).
	picked := 0
	personOf := func(unitID int64) (int64, error) {
		orgs, err := o.PartyOrgsOfUnit(ctx, sys, unitID)
		if err != nil || len(orgs) == 0 {
			return 0, err
		}
		ms, err := p.Members(ctx, sys, party.MemberFilter{OrgCode: orgs[0].Code, Limit: 20})
		if err != nil || len(ms) == 0 {
			return 0, err
		}
		picked++
		return ms[picked%len(ms)].PersonID, nil
	}
	names := []string{"陈", "林", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨", "郑", "周"}
	k := 0
	name := func() string { k++; return names[k%len(names)] + "某某" }
	for _, kind := range []string{org.KindStreet, org.KindTownship} {
		units, err := o.ByKind(ctx, kind)
		if err != nil {
			return 0, err
		}
		for i, u := range units {
			centre, err := addCentre(u)
			if err != nil {
				return 0, fmt.Errorf("demo centre of %s: %w", u.Code, err)
			}
			if kind != org.KindStreet {
				continue
			}
			orgs, err := o.PartyOrgsOfUnit(ctx, sys, u.ID)
			if err != nil {
				return 0, err
			}
			for _, po := range orgs {
				if !party.IsCommittee(po.Kind) {
					continue
				}
				if _, err := p.AddCommitteeMember(ctx, sys, po.Code, party.CommitteeMemberInput{Name: name(), Post: "书记", TermFrom: termFrom, TermTo: termTo, Demo: true}); err != nil {
					return 0, err
				}
				var attendees []string
				for j := 0; j < 3 && len(depts) > 0; j++ {
					d := depts[(i*3+j+2)%len(depts)]
					person, err := personOf(d.ID)
					if err != nil {
						return 0, err
					}
					m, err := p.AddCommitteeMember(ctx, sys, po.Code, party.CommitteeMemberInput{Name: name(), Post: "兼职委员", PartTime: true,
						Unit: d.Code, TermFrom: termFrom, TermTo: termTo, PersonID: person, Demo: true})
					if err != nil {
						return 0, err
					}
					attendees = append(attendees, m.Name+"（"+d.Name+"）")
				}
				c, err := p.Committee(ctx, sys, po.Code)
				if err != nil {
					return 0, err
				}
				var agenda []int64
				for _, a := range c.Agenda {
					if len(agenda) < 3 {
						agenda = append(agenda, a.CommitmentID)
					}
				}
				held := now.In(shanghai).AddDate(0, -1, 0).Format("2006-01-02")
				if _, err := p.RecordMeeting(ctx, sys, po.Code, party.MeetingInput{HeldOn: held, Title: "大工委季度联席会议（" + Label + "）",
					CentreID: centre.ID, Attendees: strings.Join(attendees, "、"), Decisions: "通报共建单位承诺完成情况，议定下季度共建项目。",
					Agenda: agenda, FollowUps: []string{"协调解决老旧小区路灯维修"}, Demo: true}); err != nil {
					return 0, err
				}
			}
		}
	}
	communities, err := o.ByKind(ctx, org.KindCommunity)
	if err != nil {
		return 0, err
	}
	for _, c := range communities {
		cbs, err := p.CoBuildings(ctx, c.Code)
		if err != nil {
			return 0, err
		}
		if len(cbs) == 0 {
			continue
		}
		if _, err := addCentre(c); err != nil {
			return 0, fmt.Errorf("demo centre of %s: %w", c.Code, err)
		}
		orgs, err := o.PartyOrgsOfUnit(ctx, sys, c.ID)
		if err != nil {
			return 0, err
		}
		for _, po := range orgs {
			if !party.IsCommittee(po.Kind) {
				continue
			}
			for j, cb := range cbs {
				if j == 2 {
					break
				}
				cu, err := o.UnitByCode(ctx, sys, cb.UnitCode)
				if err != nil {
					return 0, err
				}
				person, err := personOf(cu.ID)
				if err != nil {
					return 0, err
				}
				if _, err := p.AddCommitteeMember(ctx, sys, po.Code, party.CommitteeMemberInput{Name: name(), Post: "兼职委员", PartTime: true,
					Unit: cb.UnitCode, TermFrom: termFrom, TermTo: termTo, PersonID: person, Demo: true}); err != nil {
					return 0, err
				}
			}
		}
	}
	return centres, p.LinkDemoCentres(ctx)
}
