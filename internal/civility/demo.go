package civility

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
		// The lesser parking item an appeal may revise N-PARK to.
		neg("N-PARK-MINOR", "机动车乱停乱放（未占用消防通道）", 2, 90, "现场照片，含车牌与位置", "第四章 治理与监督·交通出行"),
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

// Demo cards: the first demo resident's points card in the first community
// of 南浦街道, and the first village resident's, printed at start so that a
// visitor can open the portal (demo only; real cards get random numbers and
// the PIN the person chooses at the community).
const (
	DemoCardNo        = "JF0000000001"
	DemoVillageCardNo = "JF0000000002"
	DemoCardPIN       = "123456"
)

// DemoResult says what SeedDemo added.
type DemoResult struct {
	Items, Incentives, Stores, VillageStores, Residents, Entries int
}

func (r DemoResult) String() string {
	return fmt.Sprintf("演示文明积分 demo civility: %d catalogue items (demo, to be replaced by the county's measures), %d incentives, %d stores "+
		"(%d of them village stores), %d residents with points cards (demo cards %s in a community, %s in a village, PIN %s), %d entries",
		r.Items, r.Incentives, r.Stores, r.VillageStores, r.Residents, DemoCardNo, DemoVillageCardNo, DemoCardPIN, r.Entries)
}

// demoPlace is a community or village the demo opens a store in.
type demoPlace struct {
	id               int64
	name, kind, path string
}

// demoPlaces are the first n units of kind under each of the townships
// with codes parents, in that order.
func (s *Service) demoPlaces(ctx context.Context, kind string, n int, parents ...string) ([]demoPlace, error) {
	var out []demoPlace
	for _, parent := range parents {
		rows, err := s.db.Query(ctx, `SELECT u.id, u.name, u.kind, u.path FROM units u JOIN units t ON t.id = u.parent_id
			WHERE t.code = ? AND u.kind = ? ORDER BY u.code LIMIT ?`, parent, kind, n)
		places, err := store.Collect(rows, err, func(sc store.Scanner) (demoPlace, error) {
			var p demoPlace
			return p, sc.Scan(&p.id, &p.name, &p.kind, &p.path)
		})
		if err != nil {
			return nil, fmt.Errorf("demo %s of %s: %w", kind, parent, err)
		}
		out = append(out, places...)
	}
	return out, nil
}

// demoStoreName names a place's store: a community's at its service
// station, a village's (村级积分超市) at its service point.
func demoStoreName(p demoPlace) string {
	short := strings.TrimSuffix(strings.TrimSuffix(p.name, "居委会"), "委会")
	if p.kind == "village" {
		return short + "积分超市（村便民服务点）"
	}
	return short + "积分超市（社区服务站）"
}

// Demo townships: 南浦街道, where the demo staff work, and 富岭镇.
const (
	demoStreet   = "350722001000"
	demoTownship = "350722101000"
)

// SeedDemo loads, once (when the catalogue is empty), the demo catalogue,
// incentives, a points store in each of the first six communities of
// 南浦街道 and, as 村级积分超市 at the village service points, in the first
// three villages of 南浦街道 and of 富岭镇, each with goods and stock;
// three demo residents in each place with points cards (the first with
// DemoCardNo, the first villager with DemoVillageCardNo, all consenting)
// and two verified volunteer activities each, one collected as a positive
// entry. vol records the activities.
func (s *Service) SeedDemo(ctx context.Context, vol *volunteer.Service, now time.Time) (DemoResult, error) {
	var res DemoResult
	n, err := SeedDemoCatalogue(ctx, s.db, now)
	if err != nil || n == 0 {
		return res, err
	}
	res.Items = n
	sys := access.Actor{System: true, Name: "演示数据"}
	incentives := []Incentive{
		{Basis: "balance", Threshold: 100, Benefit: "积分超市兑换日用品", Provider: "社区、村积分超市"},
		{Basis: "balance", Threshold: 300, Benefit: "优先推荐参加文明家庭评选", Provider: "县文明办"},
		{Basis: "star", Threshold: 3, Benefit: "县内公园、场馆门票优惠", Provider: "县文旅局（演示）"},
		{Basis: "star", Threshold: 5, Benefit: "星级志愿者年度表彰", Provider: "县文明办"},
	}
	for _, in := range incentives {
		in.Demo = true
		if _, err := s.AddIncentive(ctx, sys, in); err != nil {
			return res, err
		}
		res.Incentives++
	}
	places, err := s.demoPlaces(ctx, "community", 6, demoStreet)
	if err != nil {
		return res, err
	}
	villages, err := s.demoPlaces(ctx, "village", 3, demoStreet, demoTownship)
	if err != nil {
		return res, err
	}
	places = append(places, villages...)
	type goods struct {
		name          string
		points, stock int
	}
	daily := []goods{{"肥皂", 10, 50}, {"洗衣粉", 20, 40}, {"食用油", 50, 20}, {"大米（5公斤）", 80, 10}}
	// A village point also stocks what farming households ask for.
	farm := []goods{{"劳保手套", 15, 30}, {"蔬菜种子", 25, 20}}
	surnames := []string{"王", "李", "陈", "林", "张", "吴", "黄", "周"}
	activity := int64(9_000_000)
	firstVillage := true
	for pi, pl := range places {
		st, err := s.AddStore(ctx, sys, demoStoreName(pl), pl.id, true)
		if err != nil {
			return res, err
		}
		res.Stores++
		shelf := daily
		if pl.kind == "village" {
			res.VillageStores++
			shelf = append(slices.Clone(daily), farm...)
		}
		for _, g := range shelf {
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
			no := newCardNo()
			switch {
			case pi == 0 && k == 0:
				no = DemoCardNo
			case pl.kind == "village" && firstVillage && k == 0:
				no, firstVillage = DemoVillageCardNo, false
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
			// community or village to collect (the staff page's list).
			title, content, signer := "楼道清洁志愿服务", "清理楼道杂物、张贴文明提示", "演示社区"
			if pl.kind == "village" {
				title, content, signer = "村道清扫志愿服务", "清扫村道、整治房前屋后环境", "演示村委会"
			}
			for j := range 2 {
				activity++
				in := now.AddDate(0, 0, -20+j*10).Add(-3 * time.Hour)
				err := s.db.InTx(ctx, func(tx *store.Tx) error {
					return vol.ActivitySignedOff(ctx, tx, volunteer.Activity{ID: activity, Title: title, Content: content,
						Place: pl.name, UnitID: pl.id, SignerName: signer, At: in.Add(3 * time.Hour),
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
