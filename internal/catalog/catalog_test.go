package catalog

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestValidateCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		ok   bool
		msg  string
	}{
		{"XK00123000", true, ""},
		{"GF01101002", true, ""},
		{"QT99999999", true, ""},
		{"", false, "不能为空"},
		{"XK0012300", false, "格式不正确"},
		{"XK001230000", false, "格式不正确"},
		{"xk00123000", false, "格式不正确"},
		{"XX00123000", false, "类型代码“XX”不存在"},
		{"XK00000000", false, "主项编码不能为00000"},
		{"XKA0123000", false, "格式不正确"},
		{"XK00123 00", false, "格式不正确"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			err := ValidateCode(tc.code)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateCode(%q) = %v, want ok=%v", tc.code, err, tc.ok)
			}
			if err != nil {
				msg, _ := store.UserMessage(err)
				if !strings.Contains(msg, tc.msg) || !strings.Contains(msg, "事项编码") {
					t.Errorf("message %q does not name the field and say %q", msg, tc.msg)
				}
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("error is not ErrInvalid")
				}
			}
		})
	}
}

func TestImplementationCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code     string
		level    int
		division string
		want     string
		ok       bool
	}{
		{"XK00123000", 4, "350722", "XK001230004350722", true},
		{"CF00201000", 5, "350722", "CF002010005350722", true},
		{"XK00123000", 6, "350722", "", false},
		{"XK00123000", 4, "35072", "", false},
		{"XK00123000", 4, "000000", "", false},
		{"ZZ00123000", 4, "350722", "", false},
	}
	for _, tc := range tests {
		got, err := ImplementationCode(tc.code, tc.level, tc.division)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ImplementationCode(%s, %d, %s) = %q, %v; want %q ok=%v", tc.code, tc.level, tc.division, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			c, l, d, err := ParseImplementationCode(got)
			if err != nil || c != tc.code || l != tc.level || d != tc.division {
				t.Errorf("ParseImplementationCode(%s) = %s %d %s %v", got, c, l, d, err)
			}
		}
	}
}

func TestBasisRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ law, article string }{
		{"中华人民共和国行政许可法", "第十二条"},
		{"城市道路管理条例", ""},
		{"A法", "第1条；《B法》第2条"},
	} {
		law, art := ParseBasis(FormatBasis(tc.law, tc.article))
		if law != tc.law || art != tc.article {
			t.Errorf("round trip of %q %q gave %q %q", tc.law, tc.article, law, art)
		}
	}
}

func TestSaveMatterValidates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, _, err := f.s.SaveMatter(ctx, f.admin, MatterInput{Code: "XK0001", Name: "x"}, "")
		if msg, _ := store.UserMessage(err); !strings.Contains(msg, "事项编码") {
			t.Errorf("bad code: %v", err)
		}
		_, _, err = f.s.SaveMatter(ctx, f.admin, MatterInput{Code: "XK00001000"}, "")
		if msg, _ := store.UserMessage(err); !strings.Contains(msg, "事项名称") {
			t.Errorf("no name: %v", err)
		}
		township := f.actor("350722001000", "street", access.RoleTownship)
		if _, _, err := f.s.SaveMatter(ctx, township, MatterInput{Code: "XK00001000", Name: "x"}, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township edits matters: %v", err)
		}
		m, created, err := f.s.SaveMatter(ctx, f.admin, MatterInput{Code: "xk00001000", Name: "测试许可", BasisLaw: "《某法》", BasisArticle: "第一条"}, "")
		if err != nil || !created || m.Code != "XK00001000" || m.BasisLaw != "某法" || m.TypeName != "行政许可" {
			t.Fatalf("create: %+v %v %v", m, created, err)
		}
		m, created, err = f.s.SaveMatter(ctx, f.admin, MatterInput{Code: "XK00001000", Name: "测试许可（改）"}, "")
		if err != nil || created || m.Name != "测试许可（改）" {
			t.Fatalf("update: %+v %v %v", m, created, err)
		}
	})
}

func TestCheckAccessFollowsTheList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "JC00603000", "对燃气经营、使用安全的监督检查")
		dept := f.actor("350722D002", "department", access.RoleDepartment)
		req := AccessRequest{Actor: dept, FromUnitID: f.units["350722D002"], ToUnitID: f.units["350722001000"], MatterCode: "JC00603000", Purpose: "工单派单"}

		err := f.s.CheckAccess(ctx, req)
		if !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("first attempt: %v, want refused", err)
		}
		msg, _ := store.UserMessage(err)
		want := "根据职责准入清单，县住房和城乡建设局不得将“对燃气经营、使用安全的监督检查”事项交由南浦街道办理（清单第0版）"
		if msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
		// Work for a community inside the street is covered too.
		req2 := req
		req2.ToUnitID = f.units["350722001001"]
		if err := f.s.CheckAccess(ctx, req2); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("to a community: %v, want refused", err)
		}
		// Department to department: the rule does not apply, nothing recorded.
		req3 := req
		req3.ToUnitID = f.units["350722D003"]
		if err := f.s.CheckAccess(ctx, req3); err != nil {
			t.Errorf("department to department: %v", err)
		}

		f.advance(time.Minute)
		if _, _, err := f.s.SaveItem(ctx, f.admin, AccessList, ItemInput{UnitCode: "县住房和城乡建设局", MatterCode: "JC00603000", Duties: "配合入户排查"}, "准入清单调整"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CheckAccess(ctx, req); err != nil {
			t.Fatalf("after the list admits it: %v", err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
		to := time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)
		atts, err := f.s.Attempts(ctx, f.admin, from, to, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range atts {
			got = append(got, a.ToName+":"+map[bool]string{true: "allowed", false: "refused"}[a.Allowed]+":"+a.MatterCode)
		}
		wantAtts := []string{"南浦街道:allowed:JC00603000", "城关社区:refused:JC00603000", "南浦街道:refused:JC00603000"}
		if d := cmp.Diff(wantAtts, got); d != "" {
			t.Errorf("attempts (-want +got):\n%s", d)
		}
		if atts[0].ListVersion != 1 || atts[2].ListVersion != 0 {
			t.Errorf("versions recorded: %d %d", atts[0].ListVersion, atts[2].ListVersion)
		}
		rep, err := f.s.AttemptsReport(ctx, f.admin, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]DepartmentAttempts{{Code: "350722D002", Name: "县住房和城乡建设局", Total: 3, Allowed: 1, Refused: 2}}, rep); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}
		// The department sees its own attempts; another department none.
		other, _ := f.s.AttemptsReport(ctx, f.actor("350722D003", "department", access.RoleDepartment), from, to)
		if len(other) != 0 {
			t.Errorf("another department sees %v", other)
		}

		// Removing it from the list refuses again; an exception by the approval office allows.
		f.advance(time.Minute)
		it, err := f.s.Item(ctx, f.admin, AccessList, itemKey(AccessList, "", f.units["350722D002"], mustMatter(t, f, "JC00603000").ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RemoveItem(ctx, f.admin, AccessList, it.Key, "撤出准入清单"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CheckAccess(ctx, req); !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("after removal: %v", err)
		}
		if _, err := f.s.GrantException(ctx, dept, ExceptionInput{FromCode: "350722D002", MatterCode: "JC00603000", Reason: "x"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department granted itself an exception: %v", err)
		}
		office := f.actor("350722D001", "department", access.RoleDepartment)
		ex, err := f.s.GrantException(ctx, office, ExceptionInput{FromCode: "350722D002", ToCode: "350722001000", MatterCode: "JC00603000", Reason: "燃气安全专项整治期间临时交办"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.CheckAccess(ctx, req2); err != nil {
			t.Fatalf("with an exception (community in the street): %v", err)
		}
		atts, _ = f.s.Attempts(ctx, f.admin, from, to, "350722D002", 1)
		if len(atts) != 1 || !atts[0].Allowed || atts[0].ExceptionID != ex.ID {
			t.Errorf("exception attempt recorded as %+v", atts)
		}
		if err := f.s.RevokeException(ctx, office, ex.ID, "专项结束"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CheckAccess(ctx, req); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("after the exception is revoked: %v", err)
		}
	})
}

func mustMatter(t *testing.T, f *fixture, code string) Matter {
	t.Helper()
	m, err := f.s.Matter(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMayDecideFollowsTheBatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "XK00104000", "农村村民宅基地审批")
		town := f.actor("350722100000", "township", access.RoleTownship)
		townID := f.units["350722100000"]
		effective := time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai)

		req, err := f.s.RequestEmpowerment(ctx, town, RequestInput{MatterCode: "XK00104000", Reason: "群众建房审批跑路多"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RequestEmpowerment(ctx, town, RequestInput{MatterCode: "XK00104000", Reason: "again"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second pending request: %v", err)
		}
		if _, err := f.s.Grant(ctx, town, "第一批", []int64{req.ID}, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township grants itself: %v", err)
		}
		if _, err := f.s.CreateBatch(ctx, f.admin, BatchInput{BatchNo: "第一批", DocNo: "浦委编〔2026〕1号", EffectiveAt: effective}); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		sum, err := f.s.Grant(ctx, f.admin, "第一批", []int64{req.ID}, "同意")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Added != 1 || sum.Version != 1 {
			t.Errorf("grant summary %+v", sum)
		}
		reqs, _ := f.s.Requests(ctx, town, "")
		if len(reqs) != 1 || reqs[0].Status != "granted" || reqs[0].BatchNo != "第一批" {
			t.Errorf("requests after grant: %+v", reqs)
		}
		for _, tc := range []struct {
			unit int64
			at   time.Time
			want bool
		}{
			{townID, effective.Add(-time.Minute), false},                 // granted, not yet in effect
			{townID, effective, true},                                    // in effect
			{townID, effective.AddDate(0, 1, 0), true},                   // still
			{f.units["350722200000"], effective.AddDate(0, 1, 0), false}, // another township type
			{townID, time.Date(2026, 2, 1, 9, 0, 0, 0, shanghai), false}, // before it was granted
		} {
			got, err := f.s.MayDecide(ctx, tc.unit, "XK00104000", tc.at)
			if err != nil || got != tc.want {
				t.Errorf("MayDecide(%d, %s) = %v, %v; want %v", tc.unit, tc.at, got, err, tc.want)
			}
		}
		// Revoked (recorded at the clock's time): no longer after, still before.
		*f.clock = effective.AddDate(0, 2, 0)
		if _, err := f.s.Revoke(ctx, f.admin, "中心镇", "XK00104000", "承接能力不足"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.MayDecide(ctx, townID, "XK00104000", effective.AddDate(0, 2, 1)); got {
			t.Error("may still decide after revocation")
		}
		if got, _ := f.s.MayDecide(ctx, townID, "XK00104000", effective.AddDate(0, 1, 0)); !got {
			t.Error("history lost: could not decide before revocation")
		}
		// A refused request.
		req2, err := f.s.RequestEmpowerment(ctx, f.actor("350722200000", "township", access.RoleTownship), RequestInput{MatterCode: "XK00104000", Reason: "同样需要"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.Refuse(ctx, f.admin, req2.ID, "暂不具备承接条件"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Refuse(ctx, f.admin, req2.ID, "again"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("refused twice: %v", err)
		}
	})
}

func TestVersionsAsOfAndCompare(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "CF00202000", "对堆放物料影响市容的处罚")
		f.matter(t, "CF00203000", "对随意倾倒垃圾的处罚")
		f.matter(t, "JF00501000", "最低生活保障金给付")
		in := func(code, duties string) ItemInput {
			return ItemInput{TownshipType: "城区街道", MatterCode: code, Subject: "综合执法队", Duties: duties, Accountability: "不履行职责的"}
		}
		t1 := *f.clock
		if _, _, err := f.s.SaveItem(ctx, f.admin, PowerList, in("CF00202000", "立案、调查"), "初版"); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		if _, _, err := f.s.SaveItem(ctx, f.admin, PowerList, in("CF00203000", "立案、调查"), "新增"); err != nil {
			t.Fatal(err)
		}
		t2 := *f.clock
		f.advance(24 * time.Hour)
		if _, _, err := f.s.SaveItem(ctx, f.admin, PowerList, in("CF00202000", "立案、调查、决定、送达"), "细化责任事项"); err != nil {
			t.Fatal(err)
		}
		// Saving the same content again makes no version.
		sum, _, err := func() (Summary, Item, error) {
			it, s, err := f.s.SaveItem(ctx, f.admin, PowerList, in("CF00202000", "立案、调查、决定、送达"), "重复")
			return s, it, err
		}()
		if err != nil || sum.Version != 3 || sum.Added+sum.Changed+sum.Removed != 0 {
			t.Errorf("unchanged save: %+v %v", sum, err)
		}
		f.advance(time.Hour)
		key := itemKey(PowerList, "城区街道", 0, mustMatter(t, f, "CF00203000").ID)
		if _, err := f.s.RemoveItem(ctx, f.admin, PowerList, key, "划出"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RemoveItem(ctx, f.admin, PowerList, key, ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("remove without a reason: %v", err)
		}
		vs, err := f.s.Versions(ctx, f.admin, PowerList)
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, v := range vs {
			reasons = append(reasons, v.Reason)
		}
		if d := cmp.Diff([]string{"划出", "细化责任事项", "新增", "初版"}, reasons); d != "" {
			t.Errorf("versions (-want +got):\n%s", d)
		}
		for _, tc := range []struct {
			at   time.Time
			want int
		}{{t1.Add(-time.Second), 0}, {t1, 1}, {t2, 2}, {t2.Add(time.Hour), 2}, {f.clock.Add(time.Hour), 4}} {
			v, err := f.s.VersionAt(ctx, PowerList, tc.at)
			if err != nil || v != tc.want {
				t.Errorf("VersionAt(%s) = %d, %v; want %d", tc.at, v, err, tc.want)
			}
		}
		names := func(v int) []string {
			items, err := f.s.ItemsAt(ctx, f.admin, PowerList, v, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range items {
				out = append(out, it.Matter.Code+":"+it.Duties)
			}
			return out
		}
		if d := cmp.Diff([]string{"CF00202000:立案、调查", "CF00203000:立案、调查"}, names(2)); d != "" {
			t.Errorf("as of version 2:\n%s", d)
		}
		if d := cmp.Diff([]string{"CF00202000:立案、调查、决定、送达"}, names(4)); d != "" {
			t.Errorf("as of version 4:\n%s", d)
		}
		diffs, err := f.s.Compare(ctx, f.admin, PowerList, 2, 4)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range diffs {
			s := d.Kind
			for _, fc := range d.Fields {
				s += " " + fc.Field + ":" + fc.Before + "→" + fc.After
			}
			got = append(got, s)
		}
		if d := cmp.Diff([]string{"changed duties:立案、调查→立案、调查、决定、送达", "removed"}, got); d != "" {
			t.Errorf("compare 2→4 (-want +got):\n%s", d)
		}
		diffs, _ = f.s.Compare(ctx, f.admin, PowerList, 1, 2)
		if len(diffs) != 1 || diffs[0].Kind != "added" || diffs[0].After.Matter.Code != "CF00203000" {
			t.Errorf("compare 1→2: %+v", diffs)
		}
		if _, err := f.s.Compare(ctx, f.admin, PowerList, 1, 9); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("compare with a missing version: %v", err)
		}
	})
}

func TestRoute(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "CF00206000", "对施工工地未采取扬尘污染防治措施的处罚")
		if _, err := db.Exec(ctx, `INSERT INTO categories (code, name, kind, created_at) VALUES ('08004', '工地扬尘', '管理事项', 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Route(ctx, "08004"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unmapped category: %v", err)
		}
		if err := f.s.SetCategoryMatter(ctx, f.admin, "99999", "CF00206000"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown category: %v", err)
		}
		if err := f.s.SetCategoryMatter(ctx, f.admin, "08004", "CF00206000"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Route(ctx, "08004"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no territorial entry: %v", err)
		}
		if _, _, err := f.s.SaveItem(ctx, f.admin, TerritorialList, ItemInput{MatterCode: "CF00206000", UnitCode: "350722D002", Duties: "查处",
			SupportUnits: []string{"县城市管理和综合执法局"}, SupportDuties: "发现报告"}, "初版"); err != nil {
			t.Fatal(err)
		}
		r, err := f.s.Route(ctx, "08004")
		if err != nil {
			t.Fatal(err)
		}
		want := Routing{Matter: mustMatter(t, f, "CF00206000"), Lead: UnitRef{ID: f.units["350722D002"], Code: "350722D002", Name: "县住房和城乡建设局"}, LeadDuties: "查处",
			Supporting: []UnitRef{{ID: f.units["350722D003"], Code: "350722D003", Name: "县城市管理和综合执法局"}}, SupportDuties: "发现报告", ListVersion: 1}
		if d := cmp.Diff(want, r, cmpopts.IgnoreUnexported(Matter{})); d != "" {
			t.Errorf("route (-want +got):\n%s", d)
		}
		// The category route feeds CheckAccess too.
		dept := f.actor("350722D002", "department", access.RoleDepartment)
		err = f.s.CheckAccess(ctx, AccessRequest{Actor: dept, FromUnitID: f.units["350722D002"], ToUnitID: f.units["350722100000"], CategoryCode: "08004"})
		if msg, _ := store.UserMessage(err); !strings.Contains(msg, "不得将“对施工工地未采取扬尘污染防治措施的处罚”事项交由富岭镇办理") {
			t.Errorf("category check: %v", err)
		}
	})
}

// bytesOf exports a list.
func bytesOf(t *testing.T, f *fixture, list ListKind) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.s.Export(context.Background(), f.admin, list, 0, Filter{}, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestItemsAsOfBeforeFirstVersion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.matter(t, "JF00501000", "最低生活保障金给付")
		before := *f.clock
		f.advance(time.Hour)
		if _, _, err := f.s.SaveItem(ctx, f.admin, AccessList, ItemInput{UnitCode: "350722D008", MatterCode: "JF00501000", Duties: "入户调查"}, "初版"); err != nil {
			t.Fatal(err)
		}
		v, items, err := f.s.ItemsAsOf(ctx, f.admin, AccessList, before, Filter{})
		if err != nil || v != 0 || len(items) != 0 {
			t.Errorf("before the first version: v%d %d items %v", v, len(items), err)
		}
		if items, _ := f.s.ItemsAt(ctx, f.admin, AccessList, -1, Filter{}); len(items) != 0 {
			t.Errorf("version -1 has %d items", len(items))
		}
		v, items, err = f.s.ItemsAsOf(ctx, f.admin, AccessList, f.clock.Add(time.Second), Filter{})
		if err != nil || v != 1 || len(items) != 1 {
			t.Errorf("after: v%d %d items %v", v, len(items), err)
		}
	})
}
