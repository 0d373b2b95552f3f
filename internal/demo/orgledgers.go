package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
)

// The seed's figures of the organisational ledgers (一(一), 三(二)):
// "全县223名机关党组织负责同志深入结对共建村开展蹲点调研468次，帮助确定产业
// 发展项目190余个，争取项目资金500余万元"; "精简盘活事业编制38名 … 平均给每个
// 乡镇街道增加事业编制2名".
const (
	DemoPairedCadres = 223
	DemoVisits       = 468
	DemoProjects     = 190
	DemoFundsYuan    = 5_000_000
	DemoFreedPosts   = 38
)

// LedgerResult says what OrgLedgers added.
type LedgerResult struct {
	Pairings, Visits, Projects int
	Funds                      int64
	TaskForces, Moves, Posts   int
}

func (r LedgerResult) String() string {
	return fmt.Sprintf("演示组织台账 demo org ledgers: %d pairings, %d visits, %d projects, %d yuan sought; %d task forces; %d staffing events, %d named posts (fictitious)",
		r.Pairings, r.Visits, r.Projects, r.Funds, r.TaskForces, r.Moves, r.Posts)
}

// demoFindings are three-line findings of field visits.
var demoFindings = []string{
	"村里闲置茶园三百余亩\n缺少初制加工厂房\n村民愿意以土地入股",
	"村道一处边坡塌方\n雨季影响学生上学\n需协调交通部门处置",
	"留守老人用餐困难\n村部有闲置用房\n可办长者食堂",
	"特色水果销路不畅\n缺少冷链和电商渠道\n合作社有意愿对接",
	"村集体山林未流转\n可发展林下经济\n需理清权属",
	"老屋群保存较好\n有发展民宿潜力\n缺少启动资金",
	"灌溉水渠年久失修\n影响两百亩水田\n群众反映强烈",
	"光伏屋顶条件好\n村部和学校可先行\n需对接供电公司",
}

var demoProjectNames = []struct{ kind, name, partner string }{
	{"加工", "茶叶初制所", "茶叶专业合作社"},
	{"种植", "高山蔬菜基地", "蔬菜种植专业合作社"},
	{"电商", "农产品电商直播间", "电子商务有限公司"},
	{"文旅", "古村落民宿", "乡村旅游专业合作社"},
	{"养殖", "生态养蜂基地", "养蜂专业合作社"},
	{"光伏", "村部屋顶光伏", "新能源有限公司"},
	{"种植", "林下中药材种植", "中药材专业合作社"},
	{"加工", "锥栗深加工车间", "锥栗专业合作社"},
}

var demoFundSources = []string{"省级乡村振兴专项资金", "市级财政衔接资金", "县级配套资金", "结对单位帮扶资金", "社会资本"}

// OrgLedgers adds, once, the seed's organisational ledgers: 223 county
// cadres paired with villages, 468 field visits over the last year, 190
// industry projects with 5,000,000+ yuan of funds sought, two years of the
// paired villages' collective income; task forces in the townships and the
// county (a few breaking the reform's rules, so the warnings show); and the
// staffing ledger with the 38 事业编制 freed in county departments and
// moved, two to each township (减县补乡). It does nothing when demo
// pairings exist already.
func OrgLedgers(ctx context.Context, db *store.DB, o *org.Service, p *pairing.Service, tf *taskforce.Service, st *staffing.Service, now time.Time) (LedgerResult, error) {
	var res LedgerResult
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM pairings WHERE demo = 1`).Scan(&n); err != nil || n > 0 {
		return res, err
	}
	rng := rand.New(rand.NewPCG(17, 2026))
	name := func() string { return string(orgSurnames[rng.IntN(len(orgSurnames))]) + "某某" }
	depts, err := o.ByKind(ctx, org.KindDepartment)
	if err != nil {
		return res, err
	}
	var towns []org.Unit
	for _, k := range []string{org.KindStreet, org.KindTownship} {
		us, err := o.ByKind(ctx, k)
		if err != nil {
			return res, err
		}
		towns = append(towns, us...)
	}
	var villages []org.Unit
	for _, k := range []string{org.KindVillage, org.KindCommunity} {
		us, err := o.ByKind(ctx, k)
		if err != nil {
			return res, err
		}
		villages = append(villages, us...)
	}
	if len(depts) == 0 || len(towns) == 0 || len(villages) < DemoPairedCadres {
		return res, nil
	}
	var before int64
	if err := db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM people`).Scan(&before); err != nil {
		return res, err
	}
	// People: the paired cadres in the departments, staff in post in the
	// townships and the departments whose 事业编制 are freed.
	careerDepts := []string{"D007", "D008", "D011", "D013", "D014", "D015"}
	byCode := map[string]org.Unit{}
	for _, d := range depts {
		byCode[d.Code] = d
	}
	for _, t := range towns {
		byCode[t.Code] = t
	}
	cc := countyCode(depts[0].Code)
	const townStaff, careerStaff = 37, 14
	err = o.LoadGenerated(ctx, "demo.org_ledgers", cc+"000000", func(g *org.Generated) (any, error) {
		for i := range DemoPairedCadres {
			if err := g.AddPerson(ctx, org.PersonInput{Name: name(), UnitID: depts[i%len(depts)].ID, Role: org.RoleCadre}); err != nil {
				return nil, err
			}
		}
		for _, t := range towns {
			for range townStaff {
				if err := g.AddPerson(ctx, org.PersonInput{Name: name(), UnitID: t.ID, Role: org.RoleCadre}); err != nil {
					return nil, err
				}
			}
		}
		for _, c := range careerDepts {
			for range careerStaff {
				if err := g.AddPerson(ctx, org.PersonInput{Name: name(), UnitID: byCode[cc+c].ID, Role: "resident"}); err != nil {
					return nil, err
				}
			}
		}
		return map[string]int{"people": DemoPairedCadres + len(towns)*townStaff + len(careerDepts)*careerStaff}, nil
	})
	if err != nil {
		return res, fmt.Errorf("demo ledger people: %w", err)
	}
	type person struct {
		id   int64
		unit int64
	}
	rows, err := db.Query(ctx, `SELECT id, unit_id FROM people WHERE id > ? ORDER BY id`, before)
	people, err := store.Collect(rows, err, func(sc store.Scanner) (person, error) {
		var x person
		return x, sc.Scan(&x.id, &x.unit)
	})
	if err != nil {
		return res, err
	}
	byUnit := map[int64][]int64{}
	var cadres []person
	for i, x := range people {
		if i < DemoPairedCadres {
			cadres = append(cadres, x)
			continue
		}
		byUnit[x.unit] = append(byUnit[x.unit], x.id)
	}
	sys := access.System
	day := func(daysAgo int) string {
		return now.AddDate(0, 0, -daysAgo).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	}
	unitCode := map[int64]string{}
	for _, d := range depts {
		unitCode[d.ID] = d.Code
	}

	// Pairings, visits, projects, funds, income.
	perm := rng.Perm(len(villages))[:DemoPairedCadres]
	pairings := make([]int64, DemoPairedCadres)
	year := now.Year()
	for i, vi := range perm {
		v, c := villages[vi], cadres[i]
		id, err := p.Pair(ctx, sys, pairing.Input{OrgCode: unitCode[c.unit], CadreID: c.id, VillageCode: v.Code,
			StartDay: fmt.Sprintf("%d-01-01", year-1), EndDay: fmt.Sprintf("%d-12-31", year+1), Demo: true})
		if err != nil {
			return res, fmt.Errorf("demo pairing: %w", err)
		}
		pairings[i] = id
		res.Pairings++
		base := int64(30_000 + rng.IntN(200)*1000)
		last := base
		if rng.IntN(100) < 68 {
			last += int64(5_000 + rng.IntN(60)*1000)
		} else {
			last -= int64(rng.IntN(10) * 1000)
		}
		if err := p.RecordIncome(ctx, sys, v.Code, year-2, base); err != nil {
			return res, err
		}
		if err := p.RecordIncome(ctx, sys, v.Code, year-1, last); err != nil {
			return res, err
		}
	}
	visits := make([][]int64, DemoPairedCadres)
	for i := range DemoVisits {
		k := i % DemoPairedCadres
		vid, err := p.Visit(ctx, sys, pairings[k], pairing.VisitInput{Day: day(1 + rng.IntN(360)), Visitors: "结对单位负责同志、驻村干部",
			Finding: demoFindings[rng.IntN(len(demoFindings))]})
		if err != nil {
			return res, fmt.Errorf("demo visit: %w", err)
		}
		visits[k] = append(visits[k], vid)
		res.Visits++
	}
	stages := []string{pairing.StagePlanned, pairing.StageStarted, pairing.StageStarted, pairing.StageProducing, pairing.StageProducing}
	for i := range DemoProjects {
		k := (i * 7) % DemoPairedCadres
		tpl := demoProjectNames[rng.IntN(len(demoProjectNames))]
		v := villages[perm[k]]
		partnerKind := "cooperative"
		if tpl.kind == "电商" || tpl.kind == "光伏" {
			partnerKind = "enterprise"
		}
		prj, err := p.AddProject(ctx, sys, pairings[k], pairing.ProjectInput{VisitID: visits[k][0], Kind: tpl.kind, Name: org.ShortName(v.Name) + tpl.name,
			PartnerKind: partnerKind, PartnerName: org.ShortName(v.Name) + tpl.partner, Stage: stages[rng.IntN(len(stages))], Day: day(200)})
		if err != nil {
			return res, fmt.Errorf("demo project: %w", err)
		}
		res.Projects++
		lines := 1
		if rng.IntN(100) < 30 {
			lines = 2
		}
		for l := range lines {
			amount := int64(8_000 + rng.IntN(28)*1000)
			if i == DemoProjects-1 && l == lines-1 && res.Funds+amount < DemoFundsYuan+120_000 {
				amount = DemoFundsYuan + 120_000 - res.Funds
			}
			fid, err := p.AddFund(ctx, sys, prj, pairing.FundInput{Source: demoFundSources[rng.IntN(len(demoFundSources))], Amount: amount, Day: day(180 + rng.IntN(20))})
			if err != nil {
				return res, fmt.Errorf("demo fund: %w", err)
			}
			res.Funds += amount
			if rng.IntN(100) < 75 {
				if _, err := p.AdvanceFund(ctx, sys, fid, day(120)); err != nil {
					return res, err
				}
				if rng.IntN(100) < 55 {
					if _, err := p.AdvanceFund(ctx, sys, fid, day(60)); err != nil {
						return res, err
					}
				}
			}
		}
	}

	// Staffing: what each body is approved, the named staff in post, the
	// 38 freed 事业编制 moved two to each township, and one loan.
	move := func(m staffing.Move) error {
		m.Demo = true
		if _, err := st.Record(ctx, sys, m); err != nil {
			return fmt.Errorf("demo staffing %s → %s: %w", m.FromCode, m.ToCode, err)
		}
		res.Moves++
		return nil
	}
	fill := func(code, typ string, personID int64, leader bool) error {
		title := ""
		if leader {
			title = "副主任"
		}
		if _, err := st.Fill(ctx, sys, staffing.PostInput{UnitCode: code, Type: typ, PersonID: personID, Leader: leader, Title: title,
			Since: fmt.Sprintf("%d-03-01", year-3), Demo: true}); err != nil {
			return fmt.Errorf("demo post at %s: %w", code, err)
		}
		res.Posts++
		return nil
	}
	approveDay := fmt.Sprintf("%d-03-15", year-3)
	townPlan := []struct {
		typ           string
		approved, got int
	}{{staffing.Admin, 20, 19}, {staffing.Career1, 14, 13}, {staffing.Career2, 4, 3}, {staffing.Worker, 2, 2}}
	for i, t := range towns {
		for _, pl := range townPlan {
			if err := move(staffing.Move{Kind: staffing.KindApprove, ToCode: t.Code, Type: pl.typ, Count: pl.approved,
				DocNo: fmt.Sprintf("浦委编〔%d〕%d号", year-3, 10+i), DocDay: approveDay}); err != nil {
				return res, err
			}
		}
		if err := move(staffing.Move{Kind: staffing.KindApprove, ToCode: t.Code, Type: staffing.Leader, Count: 7,
			DocNo: fmt.Sprintf("浦委编〔%d〕%d号", year-3, 10+i), DocDay: approveDay}); err != nil {
			return res, err
		}
		staff := byUnit[t.ID]
		k := 0
		for _, pl := range townPlan {
			for j := range pl.got {
				if err := fill(t.Code, pl.typ, staff[k], pl.typ == staffing.Admin && j < 6); err != nil {
					return res, err
				}
				k++
			}
		}
	}
	for i, c := range careerDepts {
		d := byCode[cc+c]
		if err := move(staffing.Move{Kind: staffing.KindApprove, ToCode: d.Code, Type: staffing.Career1, Count: 22,
			DocNo: fmt.Sprintf("浦委编〔%d〕%d号", year-3, 40+i), DocDay: approveDay}); err != nil {
			return res, err
		}
		for _, id := range byUnit[d.ID] {
			if err := fill(d.Code, staffing.Career1, id, false); err != nil {
				return res, err
			}
		}
	}
	freedDay := fmt.Sprintf("%d-04-20", year)
	for i, t := range towns {
		from := byCode[cc+careerDepts[i%len(careerDepts)]]
		if err := move(staffing.Move{Kind: staffing.KindTransfer, FromCode: from.Code, ToCode: t.Code, Type: staffing.Career1, Count: 2,
			DocNo: fmt.Sprintf("浦委编〔%d〕6号", year), DocDay: freedDay, Note: "精简盘活事业编制，减县补乡"}); err != nil {
			return res, err
		}
	}
	if err := move(staffing.Move{Kind: staffing.KindLoan, FromCode: cc + "D013", ToCode: towns[2].Code, Type: staffing.Career1, Count: 1,
		DocNo: fmt.Sprintf("浦委编〔%d〕9号", year), DocDay: fmt.Sprintf("%d-06-01", year), ReturnDay: fmt.Sprintf("%d-06-01", year+1),
		Note: "周转编制，用于防汛专班"}); err != nil {
		return res, err
	}

	// Task forces: one per township for a key task, members from two
	// modules and a county department; a county one drawing from below
	// county level; one past its end date.
	tasks := []struct{ name, task string }{{"人居环境整治专班", "农村人居环境整治提升"}, {"重点项目征迁专班", "保障重点项目用地征迁"},
		{"防汛抗旱专班", "汛期值守和隐患排查"}, {"茶产业发展专班", "推进茶产业园建设"}}
	for i, t := range towns[:8] {
		staff := byUnit[t.ID]
		tk := tasks[i%len(tasks)]
		end := day(-200)
		if i == 3 {
			end = day(20) // past its end: the warning shows
		}
		id, err := tf.Create(ctx, sys, taskforce.Input{UnitCode: t.Code, Name: tk.name, Task: tk.task, LeadID: staff[0], DeputyID: staff[1],
			StartDay: day(300), TargetDay: day(30), EndDay: end, Demo: true})
		if err != nil {
			return res, fmt.Errorf("demo task force: %w", err)
		}
		res.TaskForces++
		insts, err := tf.Institutions(ctx, t.ID)
		if err != nil {
			return res, err
		}
		for j, m := range []taskforce.MemberInput{{PersonID: staff[2], FullTime: true}, {PersonID: staff[3], Share: 40}, {PersonID: staff[4], Share: 30},
			{PersonID: cadres[i].id, Share: 20}} {
			if len(insts) > 0 && j < 3 {
				m.InstitutionID = insts[(j*3)%len(insts)].ID
			}
			if err := tf.AddMember(ctx, sys, id, m); err != nil {
				return res, err
			}
		}
	}
	cid, err := tf.Create(ctx, sys, taskforce.Input{UnitCode: cc + "000000", Name: "县重点项目攻坚专班", Task: "重点项目落地攻坚",
		LeadID: cadres[0].id, DeputyID: cadres[1].id, StartDay: day(200), TargetDay: day(-100), EndDay: day(-300), Demo: true})
	if err != nil {
		return res, fmt.Errorf("demo county task force: %w", err)
	}
	res.TaskForces++
	// A township cadre already full-time in the first township's task force
	// and 40 % here: over 100 %, and from below county level.
	for _, m := range []taskforce.MemberInput{{PersonID: cadres[2].id, FullTime: true}, {PersonID: cadres[3].id, Share: 50},
		{PersonID: byUnit[towns[0].ID][2], Share: 40}} {
		if err := tf.AddMember(ctx, sys, cid, m); err != nil {
			return res, err
		}
	}
	return res, nil
}
