package service

import (
	"context"
	"fmt"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// DemoLabel marks demonstration content.
const DemoLabel = "演示数据"

// MatterSaver registers matters in the catalogue (catalog.Service).
type MatterSaver interface {
	SaveMatter(ctx context.Context, actor access.Actor, in catalog.MatterInput, reason string) (catalog.Matter, bool, error)
}

// demoExtraMatters are public-service matters the demo adds to the
// catalogue so that the service catalogue has about twenty items. They are
// demonstration content: the codes follow the scheme but are not official.
var demoExtraMatters = []catalog.MatterInput{
	{Code: "GF01104000", Name: "城乡居民基本医疗保险参保登记", BasisLaw: "中华人民共和国社会保险法", BasisArticle: "第二十五条"},
	{Code: "GF01105000", Name: "残疾人证办理", BasisLaw: "中华人民共和国残疾人保障法", BasisArticle: "第二条"},
	{Code: "GF01106000", Name: "高龄老人津贴申领", BasisLaw: "中华人民共和国老年人权益保障法", BasisArticle: "第三十三条"},
	{Code: "GF01107000", Name: "生育登记服务", BasisLaw: "中华人民共和国人口与计划生育法", BasisArticle: "第二十条"},
	{Code: "GF01108000", Name: "就业登记", BasisLaw: "中华人民共和国就业促进法", BasisArticle: "第三十五条"},
}

func req(name, form string) MaterialInput {
	return MaterialInput{Name: name, Form: form, Copies: 1, Required: true}
}

func opt(name, form string) MaterialInput {
	return MaterialInput{Name: name, Form: form, Copies: 1}
}

var (
	idCard    = MaterialInput{Name: "申请人居民身份证", Form: FormOriginalCopy, Copies: 1, Required: true, Sample: "核验原件，留存正反面复印件一份"}
	household = req("居民户口簿", FormCopy)
)

// demoItems are the demo service items, built on the catalogue's demo
// matters (and the extra ones above).
func demoItems() []ItemInput {
	return []ItemInput{
		{Code: "XK00101000", Kind: KindPromised, Level: LevelTownship, Office: "综合便民服务中心", LegalDays: 20, PromisedDays: 10, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Conditions: "在乡、村庄规划区内进行乡镇企业、乡村公共设施和公益事业建设", Materials: []MaterialInput{req("乡村建设规划许可申请表", FormOriginal), idCard,
				req("土地权属证明", FormCopy), req("建设工程设计方案", FormOriginal), req("村民委员会意见", FormOriginal)}},
		{Code: "XK00102000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D003", LegalDays: 20, PromisedDays: 5, OneVisit: true, Citywide: true,
			Materials: []MaterialInput{req("占用、挖掘城市道路申请表", FormOriginal), req("营业执照或身份证明", FormCopy), req("施工方案及平面图", FormOriginal), opt("交通疏导方案", FormOriginal)}},
		{Code: "XK00103000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D003", LegalDays: 20, PromisedDays: 5, OneVisit: true,
			Materials: []MaterialInput{req("户外广告设置申请表", FormOriginal), req("营业执照", FormCopy), req("设计效果图", FormOriginal), req("场地使用证明", FormCopy)}},
		{Code: "XK00104000", Kind: KindPromised, Level: LevelTownship, Office: "综合便民服务中心", LegalDays: 20, PromisedDays: 15, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Conditions: "本村集体经济组织成员，一户一宅", Materials: []MaterialInput{req("农村宅基地和建房（规划许可）申请表", FormOriginal), idCard, household,
				req("村民小组会议记录", FormOriginal), req("宅基地位置示意图", FormOriginal)}},
		{Code: "XK00105000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D003", LegalDays: 20, PromisedDays: 3, Online: true, OneVisit: true, Citywide: true,
			Materials: []MaterialInput{req("建筑垃圾处置核准申请表", FormElectronic), req("建筑垃圾运输合同", FormElectronic), req("消纳场所证明", FormElectronic)}},
		{Code: "ZS00401000", Kind: KindImmediate, Level: LevelCounty, DeptCode: "350722D003", FeeCents: 3600, FeeNote: "按户每年36元", Online: true, OneVisit: true, Proxy: true, Citywide: true,
			Materials: []MaterialInput{idCard, req("房屋产权或租赁证明", FormCopy)}},
		{Code: "JF00501000", Kind: KindPromised, Level: LevelTownship, Office: "社会事务办公室", LegalDays: 30, PromisedDays: 20, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Conditions: "共同生活的家庭成员人均收入低于当地最低生活保障标准且财产符合规定", Materials: []MaterialInput{req("最低生活保障申请书", FormOriginal), idCard, household,
				req("家庭收入和财产状况声明", FormOriginal), req("家庭经济状况核对授权书", FormOriginal), opt("残疾证或病历等证明", FormCopy)}},
		{Code: "JF00502000", Kind: KindPromised, Level: LevelTownship, Office: "社会事务办公室", LegalDays: 20, PromisedDays: 15, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Materials: []MaterialInput{req("特困人员救助供养申请书", FormOriginal), idCard, household, req("收入和财产状况声明", FormOriginal)}},
		{Code: "JF00503000", Kind: KindPromised, Level: LevelTownship, Office: "社会事务办公室", LegalDays: 10, PromisedDays: 5, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Materials: []MaterialInput{req("临时救助申请书", FormOriginal), idCard, req("遭遇困难的相关证明", FormCopy)}},
		{Code: "QR00701000", Kind: KindPromised, Level: LevelTownship, Office: "综合便民服务中心", LegalDays: 30, PromisedDays: 20, Proxy: true, Devolved: true,
			Materials: []MaterialInput{req("土地承包经营权确认申请表", FormOriginal), idCard, req("土地承包合同", FormCopy), req("村民委员会证明", FormOriginal)}},
		{Code: "QR00702000", Kind: KindPromised, Level: LevelTownship, Office: "社会事务办公室", LegalDays: 20, PromisedDays: 10, Online: true, OneVisit: true, Proxy: true, Devolved: true,
			Materials: []MaterialInput{req("计划生育家庭特别扶助申请表", FormOriginal), idCard, household, req("独生子女父母光荣证", FormCopy)}},
		{Code: "JL00801000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D012", LegalDays: 60, PromisedDays: 30,
			Materials: []MaterialInput{req("见义勇为确认申请表", FormOriginal), idCard, req("事迹材料及证人证言", FormOriginal)}},
		{Code: "GF01101000", Kind: KindImmediate, Level: LevelTownship, Office: "综合便民服务中心", Online: true, OneVisit: true, Proxy: true, Nearby: true, Citywide: true, Devolved: true,
			Materials: []MaterialInput{idCard, household}},
		{Code: "GF01102000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D007", LegalDays: 15, PromisedDays: 10, OneVisit: true, Proxy: true,
			Materials: []MaterialInput{req("就业困难人员认定申请表", FormOriginal), idCard, req("就业失业登记证", FormCopy)}},
		{Code: "GF01103000", Kind: KindImmediate, Level: LevelTownship, Office: "社会事务办公室", Online: true, OneVisit: true, Proxy: true, Nearby: true, Citywide: true, CrossRegion: true, Devolved: true,
			Materials: []MaterialInput{idCard, req("近期一寸免冠照片", FormOriginal)}},
		{Code: "GF01104000", Kind: KindImmediate, Level: LevelTownship, Office: "综合便民服务中心", Online: true, OneVisit: true, Proxy: true, Nearby: true, Citywide: true, CrossRegion: true, Devolved: true,
			Materials: []MaterialInput{idCard, household}},
		{Code: "GF01105000", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D008", LegalDays: 30, PromisedDays: 15, OneVisit: true, Proxy: true,
			Materials: []MaterialInput{req("残疾人证申请表", FormOriginal), idCard, household, req("近期二寸免冠照片", FormOriginal), req("残疾评定表", FormOriginal)}},
		{Code: "GF01106000", Kind: KindPromised, Level: LevelTownship, Office: "社会事务办公室", LegalDays: 10, PromisedDays: 5, Online: true, OneVisit: true, Proxy: true, Nearby: true, Devolved: true,
			Materials: []MaterialInput{req("高龄津贴申请表", FormOriginal), idCard, req("本人银行账户", FormCopy)}},
		{Code: "GF01107000", Kind: KindImmediate, Level: LevelTownship, Office: "社会事务办公室", Online: true, OneVisit: true, Nearby: true, Citywide: true, CrossRegion: true, Devolved: true,
			Materials: []MaterialInput{req("夫妻双方居民身份证", FormCopy), req("结婚证", FormCopy)}},
		{Code: "GF01108000", Kind: KindImmediate, Level: LevelCounty, DeptCode: "350722D007", Online: true, OneVisit: true, Citywide: true,
			Materials: []MaterialInput{idCard, req("劳动合同", FormCopy)}},
	}
}

var demoStaffNames = []string{"林晓燕", "陈建华", "吴丽萍", "黄志强", "张秀英", "刘明辉", "郑雅琴", "王伟", "李春梅", "杨海峰", "周丽华", "徐志明"}

// LoadDemo loads the demo service catalogue (about twenty items on the
// catalogue's demo matters, adding the few public-service matters it needs)
// and the network: a centre with three windows and staff in every township
// and street, a service point with a proxy window in every village and
// community. It does nothing when items exist already, or when the county
// departments or the demo matters are missing.
func (s *Service) LoadDemo(ctx context.Context, matters MatterSaver) (bool, error) {
	var n, depts, demoMatters int
	if err := s.db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM service_items), (SELECT COUNT(*) FROM units WHERE code = '350722D003'),
		(SELECT COUNT(*) FROM matters WHERE code = 'XK00101000')`).Scan(&n, &depts, &demoMatters); err != nil {
		return false, fmt.Errorf("service demo: %w", store.Normalize(err))
	}
	if n > 0 || depts == 0 || demoMatters == 0 {
		return false, nil
	}
	for _, m := range demoExtraMatters {
		if _, _, err := matters.SaveMatter(ctx, access.System, m, DemoLabel+"：便民服务事项"); err != nil {
			return false, fmt.Errorf("demo matter %s: %w", m.Code, err)
		}
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, it := range demoItems() {
			if err := it.normalise(); err != nil {
				return fmt.Errorf("demo item %s: %w", it.Code, err)
			}
			if err := s.saveItemTx(ctx, tx, access.System, it, true); err != nil {
				return fmt.Errorf("demo item %s: %w", it.Code, err)
			}
		}
		return s.loadDemoNetwork(ctx, tx)
	})
	if err != nil {
		return false, err
	}
	return true, nil
}

func (s *Service) loadDemoNetwork(ctx context.Context, tx *store.Tx) error {
	type unit struct {
		id         int64
		name, kind string
	}
	rows, err := tx.Query(ctx, `SELECT id, name, kind FROM units WHERE kind IN ('township', 'street', 'village', 'community') ORDER BY code`)
	if err != nil {
		return err
	}
	var units []unit
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.id, &u.name, &u.kind); err != nil {
			rows.Close()
			return err
		}
		units = append(units, u)
	}
	rows.Close()
	now := store.Millis(s.now())
	staff := 0
	for i, u := range units {
		centre := u.kind == "township" || u.kind == "street"
		kind, name, address, hours := SitePoint, u.name+"便民服务点", u.name+"村（居）民委员会", "周一至周五 8:00-12:00"
		if centre {
			kind, name, address, hours = SiteCentre, u.name+"综合便民服务中心", u.name+"人民政府（办事处）一楼", "周一至周五 8:00-12:00，14:30-17:30；周六上午预约服务"
		}
		var siteID int64
		if err := tx.QueryRow(ctx, `INSERT INTO service_sites (unit_id, kind, name, address, phone, hours, demo, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING id`,
			u.id, kind, name, address, fmt.Sprintf("0599-28%05d", 10000+i), hours, now).Scan(&siteID); err != nil {
			return fmt.Errorf("demo site %s: %w", name, store.Normalize(err))
		}
		windows := [][3]string{{"1", "代办窗口", "proxy"}}
		if centre {
			windows = [][3]string{{"1", "1号综合受理窗口", "universal"}, {"2", "2号综合受理窗口", "universal"}, {"3", "统一出件窗口", "delivery"}}
		}
		for _, w := range windows {
			var wid int64
			if err := tx.QueryRow(ctx, `INSERT INTO service_windows (site_id, no, name, kind) VALUES (?, ?, ?, ?) RETURNING id`, siteID, w[0], w[1], w[2]).Scan(&wid); err != nil {
				return fmt.Errorf("demo window: %w", err)
			}
			post := map[string]string{"universal": "综合受理员", "delivery": "出件员", "proxy": "代办员"}[w[2]]
			if _, err := tx.Exec(ctx, `INSERT INTO service_staff (site_id, window_id, name, post, demo) VALUES (?, ?, ?, ?, 1)`,
				siteID, wid, demoStaffNames[staff%len(demoStaffNames)], post); err != nil {
				return fmt.Errorf("demo staff: %w", err)
			}
			staff++
		}
	}
	return nil
}
