package civility

import (
	"context"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
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
