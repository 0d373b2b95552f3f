package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func attempts(t *testing.T, f *fixture, kind string) []Attempt {
	t.Helper()
	all, err := f.s.Attempts(context.Background(), f.admin, time.Time{}, f.clock.Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Attempt
	for _, a := range all {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// TestDecisionFollowsTheEmpowermentList (issue 21, point 8): a township may
// decide only a matter granted to its township type, or to it alone
// (差别化赋权); a refusal is recorded like an access refusal and names the
// department to transfer to; a decision naming no matter is refused too.
func TestDecisionFollowsTheEmpowermentList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "CF00209000", "对擅自设置户外广告设施的处罚")
		f.matter(t, "CF00205000", "对露天焚烧的处罚")
		if _, _, err := f.s.SaveItem(ctx, f.admin, TerritorialList, ItemInput{MatterCode: "CF00209000", UnitCode: "350722D003", Duties: "查处",
			SupportDuties: "配合"}, "初版"); err != nil {
			t.Fatal(err)
		}
		fuling := f.actor("350722100000", "township", access.RoleTownship)
		shanxia := f.actor("350722200000", "township", access.RoleTownship)
		decide := func(a access.Actor, matter string) error {
			return f.s.CheckDecision(ctx, DecisionRequest{Actor: a, UnitID: a.UnitID, MatterCode: matter, Purpose: "执法案件 作出处罚决定"})
		}
		err := decide(fuling, "CF00209000")
		if !errors.Is(err, store.ErrForbidden) || !strings.Contains(err.Error(), "富岭镇") || !strings.Contains(err.Error(), "县城市管理和综合执法局") {
			t.Fatalf("unempowered decision: %v", err)
		}
		if got := attempts(t, f, AttemptDecision); len(got) != 1 || got[0].Allowed || got[0].MatterCode != "CF00209000" || got[0].ToCode != "350722100000" {
			t.Fatalf("refused decision recorded as %+v", got)
		}
		if err := decide(fuling, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("decision without a matter: %v", err)
		}
		// County departments decide anything, unrecorded.
		if err := decide(f.actor("350722D003", "department", access.RoleDepartment), "CF00209000"); err != nil {
			t.Errorf("department decision: %v", err)
		}
		if got := attempts(t, f, AttemptDecision); len(got) != 2 {
			t.Errorf("%d decision attempts recorded, want 2", len(got))
		}

		// 差别化赋权: 富岭镇 alone (中心镇) gets CF00209000; 山下乡 asks for
		// CF00205000 and its type gets it.
		if _, err := f.s.CreateBatch(ctx, f.admin, BatchInput{BatchNo: "第二批", DocNo: "浦委编〔2026〕2号", EffectiveAt: f.clock.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r1, err := f.s.RequestEmpowerment(ctx, fuling, RequestInput{MatterCode: "CF00209000", Reason: "集镇广告多"})
		if err != nil {
			t.Fatal(err)
		}
		f.advance(time.Minute)
		if _, err := f.s.GrantTo(ctx, f.admin, GrantInput{BatchNo: "第二批", RequestIDs: []int64{r1.ID}, Single: true}); err != nil {
			t.Fatal(err)
		}
		items, err := f.s.Items(ctx, f.admin, EmpowermentList, Filter{})
		if err != nil || len(items) != 1 || items[0].UnitCode != "350722100000" || items[0].TownshipType != "中心镇" {
			t.Fatalf("single grant listed as %+v %v", items, err)
		}
		f.advance(time.Minute)
		if err := decide(fuling, "CF00209000"); err != nil {
			t.Errorf("empowered decision: %v", err)
		}
		// Another 中心镇 would not be: the fixture has none, so check the
		// key directly.
		other := unitRef{ID: f.units["350722001000"], TownshipType: "中心镇", Name: "x"}
		m, _ := f.s.Matter(ctx, "CF00209000")
		if ok, err := f.s.mayDecide(ctx, db, other, m, *f.clock); err != nil || ok {
			t.Errorf("a single grant reached another township: %v %v", ok, err)
		}
		r2, err := f.s.RequestEmpowerment(ctx, shanxia, RequestInput{MatterCode: "CF00205000", Reason: "秸秆焚烧多"})
		if err != nil {
			t.Fatal(err)
		}
		if err := decide(shanxia, "CF00205000"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("before the grant: %v", err)
		}
		f.advance(time.Minute)
		if _, err := f.s.GrantTo(ctx, f.admin, GrantInput{BatchNo: "第二批", RequestIDs: []int64{r2.ID}}); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Minute)
		if err := decide(shanxia, "CF00205000"); err != nil {
			t.Errorf("type grant: %v", err)
		}
	})
}

// TestHandOffWithoutMatterIsLogged (point 10): a county department's
// hand-off naming no matter is refused and recorded, with the list version.
func TestHandOffWithoutMatterIsLogged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		dept := f.actor("350722D003", "department", access.RoleDepartment)
		err := f.s.CheckAccess(ctx, AccessRequest{Actor: dept, FromUnitID: dept.UnitID, ToUnitID: f.units["350722100000"], Purpose: "执法案件移送"})
		if !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("hand-off without a matter: %v", err)
		}
		got := attempts(t, f, AttemptHandoff)
		if len(got) != 1 || got[0].Allowed || got[0].Purpose != "执法案件移送" || got[0].ToName != "富岭镇" || got[0].ActorName != dept.Name {
			t.Errorf("recorded %+v", got)
		}
	})
}

// TestPowerImportNamesExistingBodies (point 11): a power-list row whose
// implementing body no township has is an error.
func TestPowerImportNamesExistingBodies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "CF00202000", "对影响市容的处罚")
		in := ItemInput{TownshipType: "中心镇", MatterCode: "CF00202000", Subject: "城管中队", Duties: "立案、调查"}
		if _, _, err := f.s.SaveItem(ctx, f.admin, PowerList, in, "初版"); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "城管中队") {
			t.Fatalf("unknown implementing body: %v", err)
		}
		in.Subject = "综合执法队"
		if _, _, err := f.s.SaveItem(ctx, f.admin, PowerList, in, "初版"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDutyDocuments (point 12): a new responsibility letter is admitted
// only for matters the access list admits, else refused and logged; the
// clean-up of existing ones is recorded; the county sees what is left.
func TestDutyDocuments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "JF00501000", "最低生活保障审批")
		f.matter(t, "JC00602000", "安全生产监督检查")
		if _, _, err := f.s.SaveItem(ctx, f.admin, AccessList, ItemInput{UnitCode: "350722D008", MatterCode: "JF00501000", Duties: "受理低保申请"}, "初版"); err != nil {
			t.Fatal(err)
		}
		mz := f.actor("350722D008", "department", access.RoleDepartment)
		issued := f.clock.Add(-24 * time.Hour)
		in := DutyInput{Kind: DutyLetter, Title: "2026年度社会救助目标责任书", IssuedAt: issued, Townships: []string{"350722100000", "350722200000"},
			Matters: []string{"JF00501000", "JC00602000"}}
		_, err := f.s.RegisterDuty(ctx, mz, in)
		if !errors.Is(err, store.ErrForbidden) || !strings.Contains(err.Error(), "签订责任状") {
			t.Fatalf("letter with an unadmitted matter: %v", err)
		}
		got := attempts(t, f, AttemptDocument)
		if len(got) != 2 || got[0].Allowed || got[0].MatterCode != "JC00602000" {
			t.Fatalf("refused pairs recorded as %+v", got)
		}
		if ds, _ := f.s.DutyDocuments(ctx, f.admin, DutyFilter{}); len(ds) != 0 {
			t.Fatalf("a refused letter was registered: %+v", ds)
		}
		// Another department's letter is not mz's to register.
		if _, err := f.s.RegisterDuty(ctx, mz, DutyInput{Kind: DutyQuota, Title: "x", DeptCode: "350722D016", IssuedAt: issued,
			Townships: []string{"350722100000"}, Matters: []string{"JF00501000"}}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("registering for another department: %v", err)
		}
		in.Matters = []string{"JF00501000"}
		d, err := f.s.RegisterDuty(ctx, mz, in)
		if err != nil || d.Status != DutyInForce || len(d.Townships) != 2 || len(d.Matters) != 1 || d.DeptName != "县民政局" {
			t.Fatalf("admitted letter: %+v %v", d, err)
		}
		old, err := f.s.RegisterDuty(ctx, f.admin, DutyInput{Kind: DutyVeto, Title: "安全生产一票否决", DeptCode: "350722D016", IssuedAt: issued,
			Townships: []string{"350722100000"}, Existing: true})
		if err != nil || !old.Existing {
			t.Fatalf("existing veto: %+v %v", old, err)
		}
		if _, err := f.s.ClearDuty(ctx, mz, old.ID, DutyCleanup{Result: DutyAbolished, Reason: "x", DocNo: "y"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department clears: %v", err)
		}
		if _, err := f.s.ClearDuty(ctx, f.admin, old.ID, DutyCleanup{Result: DutyAbolished, Reason: "属县级部门职责"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("clean-up without its document: %v", err)
		}
		c, err := f.s.ClearDuty(ctx, f.admin, old.ID, DutyCleanup{Result: DutyAbolished, Reason: "属县级部门职责", DocNo: "浦减负办〔2026〕3号"})
		if err != nil || c.Status != DutyAbolished || c.CleanupDoc != "浦减负办〔2026〕3号" {
			t.Fatalf("clean-up: %+v %v", c, err)
		}
		if _, err := f.s.ClearDuty(ctx, f.admin, old.ID, DutyCleanup{Result: DutyKept, Reason: "x", DocNo: "y"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second clean-up: %v", err)
		}
		sums, err := f.s.DutySummaries(ctx, f.admin)
		if err != nil || len(sums) != 2 || sums[0].DeptCode != "350722D008" || sums[0].InForce != 1 || sums[1].Abolished != 1 || sums[1].InForce != 0 {
			t.Fatalf("summaries %+v %v", sums, err)
		}
		// A township sees the documents naming it; the department its own.
		if ds, _ := f.s.DutyDocuments(ctx, f.actor("350722200000", "township", access.RoleTownship), DutyFilter{}); len(ds) != 1 {
			t.Errorf("山下乡 sees %d documents", len(ds))
		}
		if ds, _ := f.s.DutyDocuments(ctx, mz, DutyFilter{}); len(ds) != 1 || ds[0].ID != d.ID {
			t.Errorf("the department sees %+v", ds)
		}
	})
}
