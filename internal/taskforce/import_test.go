package taskforce_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/taskforce"
)

var (
	tfHeader = []any{"设立单位代码", "专班名称", "任务", "组长", "组长单位代码", "副组长", "副组长单位代码", "开始日期", "目标日期", "结束日期"}
	mHeader  = []any{"设立单位代码", "专班名称", "姓名", "专职/兼职", "所在单位代码", "所在机构", "投入比例"}
)

func taskForceFile(t *testing.T, tfs, members [][]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for _, sh := range []struct {
		name   string
		header []any
		rows   [][]any
	}{{taskforce.SheetTaskForces, tfHeader, tfs}, {taskforce.SheetMembers, mHeader, members}} {
		if sh.rows == nil {
			continue
		}
		if _, err := f.NewSheet(sh.name); err != nil {
			t.Fatal(err)
		}
		for i, r := range append([][]any{sh.header}, sh.rows...) {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sh.name, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestImportTaskForcesAllOrNothing: a file sets up task forces and their
// members from two modules and a county department; a file with any bad
// row — an unknown person, another township's task force, a name taken, a
// share over 100 % — records nothing and names each row.
func TestImportTaskForcesAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.Person("镇长甲", "350722101000", "cadre", "")
		fx.Person("干部乙", "350722101000", "cadre", "")
		fx.Person("干部丙", "350722101000", "cadre", "")
		fx.Person("住建局丁", "350722D002", "cadre", "")
		fx.Person("南浦干部", "350722001000", "cadre", "")
		existing, err := fx.s.Create(ctx, fx.town(), taskforce.Input{UnitCode: "350722101000", Name: "防汛专班", Task: "汛期值守",
			LeadID: fx.Person("值班长", "350722101000", "cadre", ""), StartDay: "2026-05-01", TargetDay: "2026-08-31", EndDay: "2026-09-30"})
		if err != nil {
			t.Fatal(err)
		}
		tea := []any{"350722101000", "茶产业园建设专班", "推进茶产业园一期建设", "镇长甲", "", "住建局丁", "350722D002", "2026-03-01", "2026-10-31", "2026-12-31"}
		members := [][]any{
			{"", "茶产业园建设专班", "干部乙", "专职", "350722101000", "经济发展办公室", ""},
			{"", "茶产业园建设专班", "干部丙", "兼职", "350722101000", "平安建设办公室", "30%"},
			{"", "茶产业园建设专班", "住建局丁", "兼职", "350722D002", "", "0.2"},
			{"350722101000", "防汛专班", "干部丙", "兼职", "350722101000", "", "10"},
		}
		badTFs := [][]any{tea,
			{"350722001000", "南浦专班", "别的乡镇的专班", "南浦干部", "", "", "", "2026-03-01", "2026-10-31", "2026-12-31"},
			{"350722101000", "防汛专班", "重名", "镇长甲", "", "", "", "2026-03-01", "2026-10-31", "2026-12-31"}}
		badMembers := append(append([][]any{}, members...),
			[]any{"", "茶产业园建设专班", "无此人", "兼职", "350722101000", "", "10"},
			[]any{"", "茶产业园建设专班", "干部乙", "兼职", "350722101000", "", "10"}, // already a member
			[]any{"350722101000", "防汛专班", "镇长甲", "兼职", "350722101000", "", "130"})
		_, err = fx.s.Import(ctx, fx.town(), taskForceFile(t, badTFs, badMembers))
		var ie *taskforce.ImportError
		if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("import with bad rows: %v", err)
		}
		got := map[string]bool{}
		for _, r := range ie.Rows {
			got[r.Sheet+":"+string(rune('0'+r.Row))] = true
		}
		for _, want := range []string{"工作专班:3", "工作专班:4", "专班成员:6", "专班成员:7", "专班成员:8"} {
			if !got[want] {
				t.Errorf("refused rows %v lack %s (%v)", got, want, err)
			}
		}
		if len(ie.Rows) != 5 {
			t.Errorf("refused %d rows: %v", len(ie.Rows), err)
		}
		for _, want := range []string{"无权为南浦街道设立专班", "已有名为“防汛专班”的专班", "找不到人员“无此人”", "干部乙已是该专班成员", "1%到100%"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if list, _ := fx.s.List(ctx, fx.Admin()); len(list) != 1 || list[0].Members != 0 {
			t.Fatalf("a refused file recorded: %+v", list)
		}

		n, err := fx.s.Import(ctx, fx.town(), taskForceFile(t, [][]any{tea}, members))
		if err != nil || n != (taskforce.Imported{TaskForces: 1, Members: 4}) {
			t.Fatalf("import = %+v, %v", n, err)
		}
		list, err := fx.s.List(ctx, fx.town())
		if err != nil || len(list) != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		var tea1 taskforce.TaskForce
		for _, tf := range list {
			if tf.Name == "茶产业园建设专班" {
				tea1 = tf
			}
		}
		d, err := fx.s.Get(ctx, fx.town(), tea1.ID)
		if err != nil || d.Deputy != "住建局丁" || d.Lead != "镇长甲" || len(d.MemberList) != 3 {
			t.Fatalf("imported = %+v, %v", d, err)
		}
		shares := map[string]int{}
		modules := map[string]bool{}
		for _, m := range d.MemberList {
			shares[m.Name] = m.Share
			modules[m.Module] = true
		}
		if shares["干部乙"] != 100 || shares["干部丙"] != 30 || shares["住建局丁"] != 20 || !modules["大经济(生态)"] || !modules["大治理"] {
			t.Errorf("members = %+v", d.MemberList)
		}
		if d, _ := fx.s.Get(ctx, fx.town(), existing); len(d.MemberList) != 1 {
			t.Errorf("existing task force's members = %+v", d.MemberList)
		}

		// Another township may not import into this one's task force; a village may not import at all.
		other := fx.Actor(32, "350722001000", access.RoleTownship)
		if _, err := fx.s.Import(ctx, other, taskForceFile(t, [][]any{}, [][]any{{"350722101000", "防汛专班", "镇长甲", "兼职", "350722101000", "", "10"}})); !errors.As(err, &ie) ||
			!strings.Contains(err.Error(), "无权调整该专班") {
			t.Errorf("another township's import: %v", err)
		}
		if _, err := fx.s.Import(ctx, fx.Actor(33, "350722101200", access.RoleCommunity), taskForceFile(t, [][]any{tea}, nil)); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("village import: %v", err)
		}

		// The export carries the import's columns: its member sheet reads back.
		var out bytes.Buffer
		if err := fx.s.Export(ctx, fx.town(), &out); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(taskforce.SheetMembers)
		var all []string
		for _, r := range rows {
			all = append(all, strings.Join(r, "|"))
		}
		if len(rows) != 5 || rows[0][0] != "设立单位代码" || !strings.Contains(strings.Join(all, "\n"), "350722101000|茶产业园建设专班|干部乙|专职|350722101000") {
			t.Errorf("exported members = %v", rows)
		}
	})
}
