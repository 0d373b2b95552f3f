package civility

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/volunteer"
)

// demoBasis is the demo's basis: the chapter of 《南平市文明行为促进条例》
// (in force 2022-06-01) the item comes from. The article-level mapping
// is the county civilisation office's to make: every demo item says so.
const demoBasis = "《南平市文明行为促进条例》"

// DemoCatalogue is the demo catalogue, drawn from the chapters of
// 《南平市文明行为促进条例》 ("以正面规范为主、负面规制为辅"): positive items
// for volunteer service, 见义勇为, blood and organ donation, charity, good
// deeds and civilised conduct in public places; negative items only where
// the regulation names the conduct. It is a demo, marked so in the
// catalogue, to be replaced by the county's own measures
// (《浦城县市民不文明行为管理办法(试行)》) article by article.
func DemoCatalogue() []Item {
	pos := func(code, name string, points, days int, evidence, chapter string) Item {
		return Item{Code: code, Name: name, Kind: Positive, Points: points, ValidityDays: days, Evidence: evidence,
			BasisKind: BasisRegulation, Basis: demoBasis + chapter + "（演示，条款待核对）", Demo: true}
	}
	neg := func(code, name string, points, days int, evidence, chapter string) Item {
		return Item{Code: code, Name: name, Kind: Negative, Points: points, ValidityDays: days, Evidence: evidence,
			BasisKind: BasisRegulation, Basis: demoBasis + chapter + "（演示，条款待核对）", Demo: true}
	}
	return []Item{
		pos(ItemVolunteerHours, "志愿服务（每小时）", 10, 365, "", "第三章 促进与保障·志愿服务"),
		pos(ItemGoodDeed, "好人好事", 20, 365, "", "第二章 规范与倡导·邻里互助"),
		pos("P-BRAVE", "见义勇为", 200, 730, "公安机关或有关部门的确认材料", "第三章 促进与保障·见义勇为"),
		pos("P-BLOOD", "无偿献血", 50, 365, "献血证编号", "第三章 促进与保障·无偿献血"),
		pos("P-ORGAN", "遗体和人体器官捐献登记", 100, 3650, "红十字会登记证明", "第三章 促进与保障·遗体和人体器官捐献"),
		pos("P-CHARITY", "慈善捐赠", 30, 365, "受赠组织的票据", "第三章 促进与保障·慈善公益"),
		pos("P-PUBLIC", "公共场所文明行为（如主动清理、劝导）", 5, 180, "", "第二章 规范与倡导·公共场所文明"),
		neg("N-LITTER", "随地乱扔垃圾、吐痰", 3, 180, "现场照片或视频", "第四章 治理与监督·公共卫生"),
		neg("N-PARK", "机动车乱停乱放占用消防通道", 5, 180, "现场照片，含车牌与位置", "第四章 治理与监督·交通出行"),
		neg("N-PET", "遛犬不拴绳、不清理犬只粪便", 3, 180, "现场照片或视频", "第四章 治理与监督·饲养宠物"),
		neg("N-BURN", "焚烧秸秆、垃圾", 5, 180, "现场照片或执法记录", "第四章 治理与监督·生态环境"),
	}
}

// SeedDemoCatalogue writes the demo catalogue as version 1 of each item
// when the catalogue is empty, and returns how many it wrote.
func SeedDemoCatalogue(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM civility_items`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	s := &Service{db: db, now: func() time.Time { return now }}
	items := DemoCatalogue()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range items {
			if err := s.saveItem(ctx, tx, access.Actor{System: true, Name: "演示目录"}, &items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return len(items), err
}

// Demo card: the first demo resident's points card, printed at start so
// that a visitor can open the portal (demo only; real cards get random
// numbers and the PIN the person chooses at the community).
const (
	DemoCardNo  = "JF0000000001"
	DemoCardPIN = "123456"
)

// DemoResult says what SeedDemo added.
type DemoResult struct {
	Items, Incentives, Stores, Residents, Entries int
}

func (r DemoResult) String() string {
	return fmt.Sprintf("演示文明积分 demo civility: %d catalogue items (demo, to be replaced by the county's measures), %d incentives, %d stores, "+
		"%d residents with points cards (demo card %s PIN %s), %d entries", r.Items, r.Incentives, r.Stores, r.Residents, DemoCardNo, DemoCardPIN, r.Entries)
}

// SeedDemo loads, once (when the catalogue is empty), the demo catalogue,
// incentives, a points store in each of the first communities and
// villages with goods, three demo residents there with points cards (the
// first with DemoCardNo, consenting) and a verified volunteer activity
// each, collected as positive entries. vol records the activities.
func (s *Service) SeedDemo(ctx context.Context, vol *volunteer.Service, now time.Time) (DemoResult, error) {
	var res DemoResult
	n, err := SeedDemoCatalogue(ctx, s.db, now)
	if err != nil || n == 0 {
		return res, err
	}
	res.Items = n
	sys := access.Actor{System: true, Name: "演示数据"}
	incentives := []Incentive{
		{Basis: "balance", Threshold: 100, Benefit: "积分超市兑换日用品", Provider: "社区积分超市"},
		{Basis: "balance", Threshold: 300, Benefit: "优先推荐参加文明家庭评选", Provider: "县文明办"},
		{Basis: "star", Threshold: 3, Benefit: "县内公园、场馆门票优惠", Provider: "县文旅局（演示）"},
		{Basis: "star", Threshold: 5, Benefit: "星级志愿者年度表彰", Provider: "县文明办"},
	}
	for _, in := range incentives {
		in.Demo = true
		if _, err := s.AddIncentive(ctx, access.Actor{System: true, Name: "演示数据"}, in); err != nil {
			return res, err
		}
		res.Incentives++
	}
	type place struct {
		id         int64
		name, path string
	}
	// The demo community first (the first community of 南浦街道, where the
	// demo staff work), then the first villages.
	rows, err := s.db.Query(ctx, `SELECT u.id, u.name, u.path FROM units u WHERE u.kind IN ('community', 'village')
		AND (u.parent_id = (SELECT id FROM units WHERE code = '350722001000')
			OR EXISTS (SELECT 1 FROM people p WHERE p.unit_id = u.id OR p.home_unit_id = u.id))
		ORDER BY CASE WHEN u.kind = 'community' AND u.parent_id = (SELECT id FROM units WHERE code = '350722001000') THEN 0 ELSE 1 END,
			CASE WHEN u.kind = 'village' THEN 0 ELSE 1 END, u.code LIMIT 12`)
	places, err := store.Collect(rows, err, func(sc store.Scanner) (place, error) {
		var p place
		return p, sc.Scan(&p.id, &p.name, &p.path)
	})
	if err != nil {
		return res, err
	}
	goods := []struct {
		name          string
		points, stock int
	}{{"肥皂", 10, 50}, {"洗衣粉", 20, 40}, {"食用油", 50, 20}, {"大米（5公斤）", 80, 10}}
	surnames := []string{"王", "李", "陈", "林", "张", "吴"}
	activity := int64(9_000_000)
	for pi, pl := range places {
		st, err := s.AddStore(ctx, sys, pl.name+"积分超市", pl.id, true)
		if err != nil {
			return res, err
		}
		res.Stores++
		for _, g := range goods {
			if _, err := s.AddGoods(ctx, sys, st, g.name, g.points, g.stock); err != nil {
				return res, err
			}
		}
		for k := range 3 {
			name := surnames[(pi+k)%len(surnames)] + "某" + []string{"甲", "乙", "丙"}[k] + "（演示居民）"
			var pid int64
			if err := s.db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, demo, created_at, updated_at) VALUES (?, ?, 'resident', 1, ?, ?) RETURNING id`,
				name, pl.id, store.Millis(now), store.Millis(now)).Scan(&pid); err != nil {
				return res, err
			}
			no := DemoCardNo
			if pi != 0 || k != 0 {
				no = newCardNo()
			}
			if err := s.db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO civility_cards (person_id, card_no, pin_hash, unit_id, unit_path, consent, consent_at, issued_by, issued_at)
					VALUES (?, ?, ?, ?, ?, 1, ?, '演示数据', ?)`, pid, no, hashPIN(DemoCardPIN), pl.id, pl.path, store.Millis(now), store.Millis(now))
				return err
			}); err != nil {
				return res, err
			}
			res.Residents++
			if vol == nil {
				continue
			}
			// Two verified activities: one collected now, one left for the
			// community to collect (the staff page's list).
			for j := range 2 {
				activity++
				in := now.AddDate(0, 0, -20+j*10).Add(-3 * time.Hour)
				err := s.db.InTx(ctx, func(tx *store.Tx) error {
					return vol.ActivitySignedOff(ctx, tx, volunteer.Activity{ID: activity, Title: "楼道清洁志愿服务", Content: "清理楼道杂物、张贴文明提示",
						Place: pl.name, UnitID: pl.id, SignerName: "演示社区", At: in.Add(3 * time.Hour),
						Attendees: []volunteer.Attendee{{PersonID: pid, In: in, Out: in.Add(2 * time.Hour)}}})
				})
				if err != nil {
					return res, err
				}
				if j == 1 {
					continue
				}
				var veID int64
				if err := s.db.QueryRow(ctx, `SELECT e.id FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id
					WHERE w.person_id = ? AND e.source = 'activity' AND e.source_ref = ?`, pid, fmt.Sprint(activity)).Scan(&veID); err != nil {
					return res, err
				}
				if _, err := s.FromVolunteerEntry(ctx, sys, veID, ""); err != nil {
					return res, err
				}
				res.Entries++
			}
		}
	}
	return res, nil
}
