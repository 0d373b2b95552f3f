package catalog

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// generator writes generated content.
var generator = access.Actor{Name: "生成数据", System: true}

// generatedLists is a little of everything LoadGenerated writes, over the
// fixture's units (350722D099 does not exist and is skipped).
func generatedLists() Generated {
	const label = "生成数据"
	g := Generated{Label: label,
		Matters: []MatterInput{
			{Code: "XK00101000", Name: "乡村建设规划许可", BasisLaw: "中华人民共和国城乡规划法", BasisArticle: "第四十一条"},
			{Code: "CF00201000", Name: "对擅自占用城市道路的处罚", BasisLaw: "城市道路管理条例", BasisArticle: "第四十二条"},
			{Code: "CF00203000", Name: "对随意倾倒垃圾的处罚", BasisLaw: "城市市容和环境卫生管理条例", BasisArticle: "第三十四条"},
			{Code: "CF00205000", Name: "对露天焚烧秸秆的处罚", BasisLaw: "中华人民共和国大气污染防治法", BasisArticle: "第一百一十九条"},
			{Code: "JC00603000", Name: "对燃气使用安全的监督检查", BasisLaw: "城镇燃气管理条例", BasisArticle: "第四十二条"},
			{Code: "GF01101000", Name: "城乡居民基本养老保险参保登记", BasisLaw: "中华人民共和国社会保险法", BasisArticle: "第二十条"},
		},
		Batch:           BatchInput{BatchNo: "第一批", DocNo: "浦委编〔2026〕1号", EffectiveAt: time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai), Note: label},
		CategoryMatters: map[string]string{"暴露垃圾": "CF00203000"},
		Request:         &GeneratedRequest{TownshipType: "一般乡镇", MatterCode: "XK00101000", Reason: "申请下放（" + label + "）", RequestedName: label},
	}
	for _, tt := range TownshipTypes {
		g.Power = append(g.Power,
			ItemInput{TownshipType: tt, MatterCode: "CF00205000", Subject: "乡镇人民政府", Duties: "1.立案责任", Accountability: "1.不及时制止的", Note: label},
			ItemInput{TownshipType: tt, MatterCode: "GF01101000", Subject: "乡镇人民政府", Duties: "1.受理责任", Note: label})
		g.Empowerment = append(g.Empowerment, ItemInput{TownshipType: tt, MatterCode: "CF00201000", BatchNo: "第一批", Note: label})
	}
	g.Territorial = []ItemInput{
		{MatterCode: "CF00203000", UnitCode: "350722D003", Duties: "负责查处", SupportDuties: "配合劝导", SupportUnits: []string{"350722D002", "350722D099"}, Note: label},
		{MatterCode: "JC00603000", UnitCode: "350722D099", Duties: "不在本库的部门"},
	}
	g.Access = []ItemInput{{UnitCode: "350722D016", MatterCode: "JC00603000", Duties: "配合入户排查", Note: label}}
	return g
}

func TestLoadGenerated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO categories (code, name, kind, created_at) VALUES ('06010', '暴露垃圾', '管理事项', 0)`); err != nil {
			t.Fatal(err)
		}
		if err := f.s.LoadGenerated(ctx, generator, generatedLists()); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			query string
			want  int
		}{
			{"matters", `SELECT COUNT(*) FROM matters WHERE demo = 1`, 6},
			{"one version per list", `SELECT COUNT(*) FROM list_versions`, 4},
			{"versions not labelled", `SELECT COUNT(*) FROM list_versions WHERE reason <> '生成数据'`, 0},
			{"territorial entries (one skipped)", `SELECT COUNT(*) FROM list_items WHERE list = 'territorial'`, 1},
			{"pending request", `SELECT COUNT(*) FROM empowerment_requests WHERE status = 'pending' AND demo = 1`, 1},
		} {
			var got int
			if err := db.QueryRow(ctx, c.query).Scan(&got); err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			if got != c.want {
				t.Errorf("%s = %d, want %d", c.name, got, c.want)
			}
		}
		items, err := f.s.Items(ctx, f.admin, TerritorialList, Filter{})
		if err != nil || len(items) != 1 || len(items[0].SupportUnits) != 1 || items[0].SupportUnits[0] != "350722D002" {
			t.Errorf("territorial list = %+v, %v; want the missing supporting unit dropped", items, err)
		}
		if r, err := f.s.Route(ctx, "06010"); err != nil || r.Lead.Code != "350722D003" {
			t.Errorf("route of the linked category: %+v %v", r, err)
		}
	})
}
