package party

// Building and street leaders (楼栋长、街巷长) are residents, not staff: like
// a party member answering a whistle, a leader reports what they see in
// their building from the phone through a personal link
// (/m/leader/<token>), the same kind of key (member_links; a person has
// one, and issuing a new one revokes the old). What they report enters
// their grid's daily collection by the "leader" channel
// (casework.PersonReport). The grid's own workers, and community, township
// and administrative staff above the building, issue the link.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// ChannelLeader is the case channel of a leader's report.
const ChannelLeader = "leader"

// IsLeader reports whether a person's role is a building or street leader.
func IsLeader(role string) bool {
	return slices.Contains([]string{org.RoleBuildingLeader, org.RoleStreetLeader}, role)
}

// LeaderPerson is how the engine and the timeline see a leader reporting.
func (m Member) LeaderPerson() casework.Person {
	label := "楼栋长"
	if m.Role == org.RoleStreetLeader {
		label = "街巷长"
	}
	return casework.Person{ID: m.PersonID, Name: m.Name + "（" + label + "）", UnitID: m.UnitID, UnitCode: m.UnitCode, UnitName: m.UnitName, UnitPath: m.UnitPath}
}

// IssueLeaderLink gives a building or street leader a new personal link
// token (returned once) and revokes their old ones. Grid workers,
// community, township and administrative staff whose subtree holds the
// leader's building may issue it.
func (s *Service) IssueLeaderLink(ctx context.Context, actor access.Actor, personID int64) (string, error) {
	if !actor.HasAny(access.RoleAdmin, access.RoleTownship, access.RoleCommunity, access.RoleGrid) {
		return "", store.Forbidden("只有网格员和社区、乡镇工作人员可以发放楼栋长、街巷长个人链接")
	}
	var token string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := loadMember(ctx, tx, personID)
		if err != nil {
			return err
		}
		if !IsLeader(m.Role) {
			return store.Invalidf("%s不是楼栋长或街巷长", m.Name)
		}
		if !actor.SeesPath(m.UnitPath) {
			return store.Forbidden("该人员不在您的辖区")
		}
		if token, err = issueToken(ctx, tx, actor, personID, s.now()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "leader.link", Entity: "person", EntityID: fmt.Sprint(personID),
			After: map[string]any{"name": m.Name, "unit": m.UnitCode}})
	})
	return token, err
}

// LeaderByToken returns the building or street leader a personal link
// belongs to; another person's link does not open a leader's page.
func (s *Service) LeaderByToken(ctx context.Context, token string) (Member, error) {
	m, err := s.MemberByToken(ctx, token)
	if err != nil {
		return Member{}, err
	}
	if !IsLeader(m.Role) {
		return Member{}, errBadLink
	}
	return m, nil
}

// LeaderReport opens a case for the leader about their building (channel
// leader); idem is the phone's id for the report, so a resend opens none.
func (s *Service) LeaderReport(ctx context.Context, m Member, idem string, in casework.NewCase) (casework.Case, bool, error) {
	if !IsLeader(m.Role) {
		return casework.Case{}, false, errBadLink
	}
	if strings.TrimSpace(in.Body) == "" {
		return casework.Case{}, false, store.Invalid("请描述您看到的问题")
	}
	return s.cases.PersonReport(ctx, m.LeaderPerson(), m.Name, ChannelLeader, idem, in)
}

// LeaderReports lists what the leader reported, newest first, with what
// they were told.
func (s *Service) LeaderReports(ctx context.Context, m Member) ([]casework.PersonReportRow, error) {
	return s.cases.PersonReports(ctx, m.PersonID)
}
