package web

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
)

// orgLedgerIDs are the walk fixture's organisational ledgers: a pairing of
// the department with 仙楼社区 (under township A) with a visit, a project
// and a fund line, a task force kept by township A, approved posts there.
type orgLedgerIDs struct {
	cadre, pairing, visit, project, fund, taskforce int64
}

func seedOrgLedgers(t *testing.T, db *store.DB, p *pairing.Service, tf *taskforce.Service, st *staffing.Service) orgLedgerIDs {
	t.Helper()
	ctx := context.Background()
	var ids orgLedgerIDs
	if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) SELECT '结对干部钱某', id, 'cadre', 0, 0
		FROM units WHERE code = '350722D003' RETURNING id`).Scan(&ids.cadre); err != nil {
		t.Fatal(err)
	}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	sys := access.System
	ids.pairing = must(p.Pair(ctx, sys, pairing.Input{OrgCode: "350722D003", CadreID: ids.cadre, VillageCode: "350722001001", StartDay: "2025-01-01", EndDay: "2027-12-31"}))
	ids.visit = must(p.Visit(ctx, sys, ids.pairing, pairing.VisitInput{Day: "2025-03-01", Visitors: "钱某", Finding: "社区菜市场缺少冷库"}))
	ids.project = must(p.AddProject(ctx, sys, ids.pairing, pairing.ProjectInput{VisitID: ids.visit, Kind: "加工", Name: "社区冷库", PartnerKind: "cooperative", PartnerName: "仙楼合作社"}))
	ids.fund = must(p.AddFund(ctx, sys, ids.project, pairing.FundInput{Source: "县级资金", Amount: 50000, Day: "2025-04-01"}))
	ids.taskforce = must(tf.Create(ctx, sys, taskforce.Input{UnitCode: "350722001000", Name: "老旧小区改造专班", Task: "推进改造", LeadID: ids.cadre,
		StartDay: "2025-01-01", TargetDay: "2026-06-30", EndDay: "2027-12-31"}))
	must(st.Record(ctx, sys, staffing.Move{Kind: "approve", ToCode: "350722001000", Type: "admin", Count: 3, DocNo: "浦编〔2025〕1号", DocDay: "2025-01-01"}))
	return ids
}

// orgLedgerRules are the ledgers' web routes and who may use them
// (docs/AUTHORIZATION.md, "Organisational ledgers").
func orgLedgerRules(fx *walkFixture) map[string]rule {
	ids := fx.ledgers
	pr := fmt.Sprintf("/pairings/%d", ids.pairing)
	tf := fmt.Sprintf("/taskforces/%d", ids.taskforce)
	// The pairing's organ is the walk's department; its village lies under township A.
	organ := []walkRole{roleDept, roleCountyAdmin}
	readsPairing := []walkRole{roleTownA, roleCommunity, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}
	keepsTF := []walkRole{roleTownA, roleCountyAdmin, roleTownAdmin}
	return map[string]rule{
		"GET /pairings":             {Allow: everyone},
		"GET /pairings/export.xlsx": {Allow: everyone},
		"POST /pairings": {Allow: countyAdmin, Form: url.Values{"org": {"350722D003"}, "cadre": {fmt.Sprint(ids.cadre)}, "village": {"350722001001"},
			"start": {"2028-01-01"}, "end": {"2029-12-31"}}},
		"GET /pairings/{id}":                      {Path: pr, Allow: readsPairing},
		"POST /pairings/{id}/visits":              {Path: pr + "/visits", Allow: organ, Form: url.Values{"day": {"2025-05-01"}, "visitors": {"钱某"}, "finding": {"道路破损"}}},
		"POST /pairings/{id}/visits/{visit}/case": {Path: fmt.Sprintf("%s/visits/%d/case", pr, ids.visit), Allow: organ},
		"POST /pairings/{id}/projects":            {Path: pr + "/projects", Allow: organ, Form: url.Values{"kind": {"种植"}, "name": {"蔬菜基地"}}},
		"POST /pairings/{id}/projects/{project}/stage": {Path: fmt.Sprintf("%s/projects/%d/stage", pr, ids.project), Allow: organ,
			Form: url.Values{"stage": {"started"}}},
		"POST /pairings/{id}/projects/{project}/funds": {Path: fmt.Sprintf("%s/projects/%d/funds", pr, ids.project), Allow: organ,
			Form: url.Values{"source": {"市级资金"}, "amount": {"1000"}}},
		"POST /pairings/{id}/funds/{fund}/advance": {Path: fmt.Sprintf("%s/funds/%d/advance", pr, ids.fund), Allow: organ},
		// The village's township enters its income.
		"POST /pairings/{id}/income": {Path: pr + "/income", Allow: []walkRole{roleTownA, roleCountyAdmin, roleTownAdmin},
			Form: url.Values{"year": {"2025"}, "amount": {"100000"}}},

		// The organisation department (of the walk's users, the county administrator) imports pairings; no file is a 400.
		"POST /pairings/import": {Allow: countyAdmin},
		// Township staff and administrators import their villages' incomes (each row checked); no file is a 400.
		"POST /pairings/incomes/import": {Allow: []walkRole{roleTownA, roleTownB, roleCountyAdmin, roleTownAdmin}},
		// Whoever may write some pairing imports visits, projects and funds (each row checked: TestImportWorkAllOrNothing); no file is a 400.
		"POST /pairings/work/import": {Allow: organ},

		"GET /taskforces":             {Allow: everyone},
		"GET /taskforces/export.xlsx": {Allow: everyone},
		"POST /taskforces": {Allow: keepsTF, Form: url.Values{"unit": {"350722001000"}, "name": {"防汛专班"}, "task": {"汛期值守"},
			"lead": {fmt.Sprint(ids.cadre)}, "start": {"2026-05-01"}, "target": {"2026-08-31"}, "end": {"2026-09-30"}}},
		"GET /taskforces/{id}":          {Path: tf, Allow: []walkRole{roleTownA, roleDept, roleSupervisor, roleCountyAdmin, roleTownAdmin}},
		"POST /taskforces/{id}/members": {Path: tf + "/members", Allow: keepsTF, Form: url.Values{"person": {fmt.Sprint(ids.cadre)}, "share": {"20"}}},
		"POST /taskforces/{id}/cases":   {Path: tf + "/cases", Allow: keepsTF, Form: url.Values{"title": {"加装电梯协调"}}},
		"POST /taskforces/{id}/close":   {Path: tf + "/close", Allow: keepsTF},
		// Whoever keeps task forces somewhere imports (each row checked against its unit: TestImportTaskForcesAllOrNothing); no file is a 400.
		"GET /taskforces/template.xlsx": {Allow: everyone},
		"POST /taskforces/import":       {Allow: []walkRole{roleTownA, roleTownB, roleDept, roleCountyAdmin, roleTownAdmin}},

		"GET /staffing":             {Allow: everyone},
		"GET /staffing/export.xlsx": {Allow: everyone},
		// The county's establishment office (县委编办) writes the ledger; of the walk's users only the county administrator.
		"POST /staffing/moves": {Allow: countyAdmin, Form: url.Values{"kind": {"approve"}, "to": {"350722001000"}, "type": {"admin"}, "count": {"1"},
			"doc_no": {"浦编〔2026〕2号"}, "doc_day": {"2026-01-05"}}},
		"POST /staffing/import":            {Allow: countyAdmin},
		"POST /staffing/loans/{id}/return": {Path: "/staffing/loans/999999/return", Allow: countyAdmin, NotFoundOK: true, Form: url.Values{"doc_no": {"x"}}},
		"POST /staffing/posts":             {Allow: countyAdmin, Form: url.Values{"unit": {"350722001000"}, "type": {"admin"}, "person": {fmt.Sprint(fx.volunteer)}}},
		"POST /staffing/posts/{id}/vacate": {Path: "/staffing/posts/999999/vacate", Allow: countyAdmin, NotFoundOK: true},
		"GET /people/{id}/posts":           {Path: fmt.Sprintf("/people/%d/posts", fx.volunteer), Allow: readsPairing},
	}
}
