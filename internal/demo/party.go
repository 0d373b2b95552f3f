package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/party"
)

// The party registry's demonstration data at the seed's scale (一(三)):
// 159 co-building agreements between the county's departments and the 16
// urban communities, 2,631 serving members registered where they live (of
// about 2,900 at the departments, each department with its party branch),
// the three lists, and activities of the last year adding up to 8,792
// person-times, 879 of them solving a resident's problem (good deeds, which
// the volunteer ledger records when wired). Fictitious and labelled.
const (
	PartyAgreements  = 159
	PartyRegistered  = 2631
	PartyServing     = 2900
	PartyPersonTimes = 8792
	PartyDeeds       = 879
)

var (
	partySkills     = []string{"医疗", "法律", "理发", "电工", "水暖", "教育", "心理疏导", "文艺", "摄影", "信息技术", "财会", "烹饪"}
	partyIntentions = []string{"助老", "助学", "政策宣讲", "环境整治", "矛盾调解", "文明劝导", "帮扶困难家庭", "志愿巡逻"}
	partyActivities = []struct{ title, skill, problem string }{
		{"为独居老人上门理发", "理发", "独居老人行动不便，长期无法理发"},
		{"义诊和健康咨询", "医疗", "老人慢性病用药不清楚"},
		{"法律咨询进社区", "法律", "居民租房纠纷无人指导"},
		{"楼道线路检修", "电工", "老旧楼道照明线路老化"},
		{"小区环境整治", "", "小区绿化带垃圾堆积"},
		{"政策宣讲", "", ""},
		{"四点半课堂辅导", "教育", "双职工家庭孩子放学无人看管"},
		{"文明交通劝导", "", ""},
		{"困难家庭走访帮扶", "", "困难家庭冬季取暖用品短缺"},
		{"水管维修", "水暖", "老人家中水管漏水"},
	}
)

// Party generates the party registry's demo data. It adds nothing when the
// demo organisation is missing or registrations exist.
func Party(ctx context.Context, o *org.Service, p *party.Service, now time.Time) (party.GenResult, error) {
	var n int
	if err := p.DemoLoaded(ctx, &n); err != nil || n > 0 {
		return party.GenResult{}, err
	}
	county, err := o.County(ctx)
	if err != nil {
		return party.GenResult{}, fmt.Errorf("demo party: %w", err)
	}
	countyOrgs, err := o.PartyOrgsOfUnit(ctx, access.System, county.ID)
	if err != nil || len(countyOrgs) == 0 {
		return party.GenResult{}, fmt.Errorf("demo party: no county party committee: %w", err)
	}
	streets, err := o.ByKind(ctx, org.KindStreet)
	if err != nil {
		return party.GenResult{}, err
	}
	isStreet := map[int64]bool{}
	for _, s := range streets {
		isStreet[s.ID] = true
	}
	communities, err := o.ByKind(ctx, org.KindCommunity)
	if err != nil {
		return party.GenResult{}, err
	}
	var urban []org.Unit
	for _, c := range communities {
		if isStreet[c.ParentID] {
			urban = append(urban, c)
		}
	}
	sort.Slice(urban, func(i, j int) bool { return urban[i].Code < urban[j].Code })
	// The seed's 16 urban communities: the streets' communities, then
	// others (in code order) where the divisions hold fewer.
	sort.Slice(communities, func(i, j int) bool { return communities[i].Code < communities[j].Code })
	for _, c := range communities {
		if len(urban) >= 16 {
			break
		}
		if !isStreet[c.ParentID] {
			urban = append(urban, c)
		}
	}
	if len(urban) > 16 {
		urban = urban[:16]
	}
	depts, err := o.ByKind(ctx, org.KindDepartment)
	if err != nil {
		return party.GenResult{}, err
	}
	grids, err := o.ByKind(ctx, org.KindGrid)
	if err != nil {
		return party.GenResult{}, err
	}
	gridsOf := map[int64][]org.Unit{}
	for _, g := range grids {
		gridsOf[g.ParentID] = append(gridsOf[g.ParentID], g)
	}
	if len(urban) == 0 || len(depts) == 0 {
		return party.GenResult{}, nil
	}
	rng := rand.New(rand.NewPCG(15, 2631))
	g := &party.Generated{}
	for i, d := range depts {
		g.Branches = append(g.Branches, party.GenBranch{Code: fmt.Sprintf("%sP%02d", d.Code, i), Name: strings.TrimPrefix(d.Name, "县") + "机关党支部（演示）",
			ParentCode: countyOrgs[0].Code, UnitID: d.ID})
	}
	surname := func() string { return string(orgSurnames[rng.IntN(len(orgSurnames))]) + "某某" }
	pickN := func(xs []string, k int) string {
		seen := map[string]bool{}
		var out []string
		for range k {
			x := xs[rng.IntN(len(xs))]
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
		return strings.Join(out, "、")
	}
	year := now.In(shanghai).AddDate(-1, 0, 0) // days are Shanghai days, as the desk counts them
	byCommunity := map[int64][]int{}
	for i := range PartyServing {
		d := i % len(depts)
		m := party.GenMember{Name: surname(), Gender: []string{"男", "女"}[rng.IntN(2)], BirthYear: 1960 + rng.IntN(40), UnitID: depts[d].ID, Branch: d,
			Skills: pickN(partySkills, 1+rng.IntN(2)), Intentions: pickN(partyIntentions, 1+rng.IntN(2))}
		m.JoinedOn = fmt.Sprintf("%d-07-01", m.BirthYear+20+rng.IntN(10))
		if i < PartyRegistered {
			c := urban[rng.IntN(len(urban))]
			m.Registered, m.HomeID, m.ChannelPhone = true, c.ID, rng.IntN(3) > 0
			if gs := gridsOf[c.ID]; len(gs) > 0 {
				m.GridID = gs[rng.IntN(len(gs))].ID
			}
			m.RegisteredAt = year.Add(time.Duration(rng.IntN(300*24)) * time.Hour)
			byCommunity[c.ID] = append(byCommunity[c.ID], i)
		} else {
			m.RegisteredAt = year
		}
		g.Members = append(g.Members, m)
	}
	// 159 distinct department × community pairs, spread over the communities.
	agreementsOf := map[int64][]int{}
	for i := range PartyAgreements {
		c := urban[i%len(urban)]
		d := depts[(i/len(urban)+i*3)%len(depts)]
		signed := year.AddDate(0, -rng.IntN(12), 0)
		a := party.GenAgreement{CommunityID: c.ID, UnitID: d.ID, SignedAt: signed, TermFrom: signed, TermTo: signed.AddDate(3, 0, 0), Liaison: surname() + "（联络员）",
			Commitments: []party.CommitmentInput{{Kind: party.CommitPeople, What: "组织在职党员参加社区志愿服务（人次）", Target: 60 + rng.IntN(40)},
				{Kind: party.CommitResource, What: "向居民开放单位活动场地（次）", Target: 4 + rng.IntN(8)},
				{Kind: party.CommitProject, What: "认领社区为民服务项目（项）", Target: 1 + rng.IntN(3)}}}
		if rng.IntN(10) < 8 {
			a.Grade = []string{"好", "好", "较好", "一般"}[rng.IntN(4)]
		}
		g.Agreements = append(g.Agreements, a)
		agreementsOf[c.ID] = append(agreementsOf[c.ID], i)
	}
	for _, c := range urban {
		gs := gridsOf[c.ID]
		for k := range 12 {
			it := party.GenItem{Kind: party.ItemNeed, CommunityID: c.ID, OwnerID: c.ID, Title: partyActivities[k%len(partyActivities)].title + "（需求）",
				Skills: partyActivities[k%len(partyActivities)].skill, Headcount: 2 + rng.IntN(5), CreatedAt: now.AddDate(0, 0, -rng.IntN(30))}
			it.StartsAt = now.AddDate(0, 0, 3+rng.IntN(20))
			if len(gs) > 0 {
				it.GridID = gs[rng.IntN(len(gs))].ID
			}
			g.Items = append(g.Items, it)
		}
		for _, ai := range agreementsOf[c.ID] {
			a := g.Agreements[ai]
			g.Items = append(g.Items, party.GenItem{Kind: party.ItemResource, CommunityID: c.ID, OwnerID: a.UnitID, Title: "开放单位活动场地", CreatedAt: a.SignedAt},
				party.GenItem{Kind: party.ItemProject, CommunityID: c.ID, OwnerID: a.UnitID, Title: "共建为民服务项目", CreatedAt: a.SignedAt})
		}
	}
	// Activities: person-times adding up to PartyPersonTimes, PartyDeeds of them solving a problem.
	left, deeds := PartyPersonTimes, 0
	for left > 0 {
		c := urban[rng.IntN(len(urban))]
		pool := byCommunity[c.ID]
		if len(pool) == 0 {
			continue
		}
		size := min(left, 3+rng.IntN(8), len(pool))
		kind := partyActivities[rng.IntN(len(partyActivities))]
		for deeds < PartyDeeds && kind.problem == "" && rng.IntN(10) < 8 {
			kind = partyActivities[rng.IntN(len(partyActivities))]
		}
		// From the day after a year ago: the desk's twelve months hold them all.
		day := year.AddDate(0, 0, 1+rng.IntN(360))
		start := time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(8), 30*rng.IntN(2), 0, 0, shanghai)
		act := party.GenActivity{CommunityID: c.ID, OrganiserID: c.ID, Agreement: -1, Title: kind.title, Content: kind.title + "（" + Label + "）",
			Place: strings.TrimSuffix(c.Name, "居委会") + "党群服务中心", StartsAt: start, EndsAt: start.Add(time.Duration(60+30*rng.IntN(5)) * time.Minute)}
		if as := agreementsOf[c.ID]; len(as) > 0 && rng.IntN(4) > 0 {
			act.Agreement = as[rng.IntN(len(as))]
			act.OrganiserID = g.Agreements[act.Agreement].UnitID
		}
		perm := rng.Perm(len(pool))
		for _, k := range perm[:size] {
			act.Attendees = append(act.Attendees, pool[k])
		}
		if kind.problem != "" && deeds < PartyDeeds {
			act.Problem, act.ResidentName = kind.problem, "居民"+surname()
			deeds++
		}
		left -= size
		g.Activities = append(g.Activities, act)
	}
	return p.LoadGenerated(ctx, g)
}
